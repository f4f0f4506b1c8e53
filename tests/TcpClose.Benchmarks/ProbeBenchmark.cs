// Test-TcpPort's claim, measured: N probes of one port leave no TIME_WAIT, where N connections
// closed gracefully by the client leave N. Loopback only. It holds the table lock while it runs:
//   dotnet run -c Release --project tests/TcpClose.Benchmarks -- --probe 1000
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpClose;

static class ProbeBenchmark
{
    /// <summary>Runs both modes, prints the TIME_WAIT rows each left (both sides), clears its own rows with ss -K.</summary>
    public static int Run(int n)
    {
        Console.WriteLine($"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        Console.WriteLine($"net.ipv4.tcp_tw_reuse = {Sysctl("tcp_tw_reuse")}, ip_local_port_range = {Sysctl("ip_local_port_range").Replace('\t', '-')}");
        Console.WriteLine($"{n} connections to one 127.0.0.1 listener per mode; the server accepts each, reads until EOF or reset, then closes.");
        Console.WriteLine($"{"mode",-44} {"ms/conn",8} {"TIME_WAIT client",17} {"TIME_WAIT server",17} {"ss count",9}");

        var ports = new List<int>();
        try
        {
            foreach (bool probe in new[] { true, false })
            {
                using Listener listener = TcpSockets.StartListener(new ListenerOptions { Address = "127.0.0.1", Backlog = 1024 });
                int port = listener.LocalPort;
                ports.Add(port);
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < n; i++)
                {
                    if (probe)
                    {
                        PortTestResult r = PortProbe.Test(new PortTestOptions { RemoteAddress = "127.0.0.1", RemotePort = port });
                        if (!r.Succeeded)
                            throw new InvalidOperationException($"probe {i} failed: {r}");
                    }
                    else
                    {
                        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                        client.Connect(IPAddress.Loopback, port);
                        client.Close(); // graceful: FIN, the client is the active closer
                    }

                    using Connection server = listener.Accept(TimeSpan.FromSeconds(5));
                    ReceiveResult read = server.Receive(64, TimeSpan.FromSeconds(5), untilEndOfStream: true, encoding: null);
                    if (!(probe ? read.Reset : read.EndOfStream))
                        throw new InvalidOperationException($"connection {i}: the server saw neither {(probe ? "a reset" : "EOF")} ({read.Count} bytes, timed out {read.TimedOut})");
                    server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
                }
                clock.Stop();

                // The server's last close has been sent; let the client's last ACK land, bounded.
                Thread.Sleep(100);
                int clientRows = CountTimeWait(new TcpTableFilter { RemotePorts = new[] { port } });
                int serverRows = CountTimeWait(new TcpTableFilter { LocalPorts = new[] { port } });
                int ss = CountSs(port);
                string mode = probe ? "Test-TcpPort probe (connect, RST)" : "connect + graceful close by the client";
                Console.WriteLine($"{mode,-44} {clock.Elapsed.TotalMilliseconds / n,8:F3} {clientRows,17} {serverRows,17} {ss,9}");
            }
        }
        finally
        {
            foreach (int port in ports)
            {
                Clear(port);
            }
        }

        return 0;
    }

    static int CountTimeWait(TcpTableFilter filter) => TcpTable.ReadTimeWait(filter).Count();

    static int CountSs(int port) => Ss.CountLines($"-tanH state time-wait ( sport = :{port} or dport = :{port} )");

    // Our rows only: every TIME_WAIT row with the benchmark's listener port on either end.
    static void Clear(int port)
    {
        var psi = new ProcessStartInfo("ss", $"-K state time-wait ( sport = :{port} or dport = :{port} )") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        int left = CountSs(port);
        Console.WriteLine($"cleared: ss -K state time-wait '( sport = :{port} or dport = :{port} )' exit {p.ExitCode}, {left} row(s) left{(error.Length > 0 ? " (ss also said: " + error.Trim() + ")" : "")}");
    }

    static string Sysctl(string name) => File.ReadAllText($"/proc/sys/net/ipv4/{name}").Trim();
}
