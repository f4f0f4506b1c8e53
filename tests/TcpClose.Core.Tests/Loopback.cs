using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xunit;

// Tests share the process-wide registry (CloseAll) and compare whole TCP tables: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace TcpClose.Tests
{
    /// <summary>Connected pairs on loopback, bounded polling, and the fd count that proves nothing leaked.</summary>
    internal static class Loopback
    {
        public static Listener Listen(string address = "127.0.0.1", int port = 0, bool reuseAddress = false) =>
            TcpSockets.StartListener(new ListenerOptions { Address = address, Port = port, ReuseAddress = reuseAddress });

        /// <summary>A client connection and the server connection that accepted it.</summary>
        public static (Connection Client, Connection Server) Pair(Listener listener)
        {
            Connection client = TcpSockets.Connect(new ConnectOptions
            {
                RemoteAddress = listener.LocalAddress == "0.0.0.0" ? "127.0.0.1" : listener.LocalAddress == "::" ? "::1" : listener.LocalAddress,
                RemotePort = listener.LocalPort,
                Timeout = TimeSpan.FromSeconds(5),
            });
            Connection server = listener.Accept(TimeSpan.FromSeconds(5));
            return (client, server);
        }

        /// <summary>Polls a condition until it holds or the deadline passes; returns whether it held.</summary>
        public static bool WaitFor(Func<bool> condition, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < timeout)
            {
                if (condition())
                {
                    return true;
                }

                Thread.Sleep(20);
            }

            return condition();
        }

        /// <summary>The table row for one local end (4-tuple), or null.</summary>
        public static TcpTableEntry Row(string localAddress, int localPort, string remoteAddress, int remotePort) =>
            TcpTable.Read(new TcpTableFilter
            {
                LocalPorts = new[] { localPort },
                RemotePorts = new[] { remotePort },
                LocalAddresses = new[] { localAddress },
                RemoteAddresses = new[] { remoteAddress },
            }).FirstOrDefault();

        public static TcpTableEntry Row(CloseResult r) => Row(r.LocalAddress, r.LocalPort, r.RemoteAddress, r.RemotePort);

        /// <summary>Runs the real ss (iproute2) and returns what it printed: the independent view of the table.</summary>
        public static string Ss(string args)
        {
            var psi = new ProcessStartInfo("ss", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            var err = p.StandardError.ReadToEndAsync();
            string o = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(10000), "ss did not finish");
            // A bad filter or state name makes ss print nothing and exit 1 or 255: never "no row".
            Assert.True(p.ExitCode == 0, $"ss {args} exited {p.ExitCode}: {err.Result}");
            return o;
        }

        /// <summary>
        /// ss's lines (any state, no header) for one IPv4 local end: where a test asks whether a row is
        /// gone, ss judges, not the module's own reader.
        /// </summary>
        public static string[] SsRows(string localAddress, int localPort, string remoteAddress, int remotePort) =>
            Ss($"-H -tan state all src {localAddress}:{localPort} dst {remoteAddress}:{remotePort}")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        /// <summary>ss's lines for the listeners on 127.0.0.1:port (no header).</summary>
        public static string[] SsListening(int port) =>
            Ss($"-H -tln src 127.0.0.1:{port}").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        /// <summary>Open file descriptors of this process (Linux), to prove a failed call leaked no socket.</summary>
        public static int OpenFds() => Directory.GetFiles("/proc/self/fd").Length;

        /// <summary>
        /// No more descriptors open than <paramref name="before"/>: nothing leaked. Not "as many": the
        /// finalizer of an earlier test's socket may close one meanwhile (seen: 203 before, 171 after
        /// a call that touched no socket; 181 and 172 in a restart test).
        /// </summary>
        public static void AssertNoFdLeak(int before)
        {
            int after = OpenFds();
            Assert.True(after <= before, $"{after} fds open after the call, {before} before: it leaked {after - before}");
        }

        /// <summary>SO_REUSEADDR / SO_REUSEPORT read with .NET's raw option call, independent of the module's P/Invoke.</summary>
        public static bool RawSocketFlag(Socket socket, int name)
        {
            Span<byte> value = stackalloc byte[4];
            int n = socket.GetRawSocketOption(1 /* SOL_SOCKET (Linux) */, name, value);
            Assert.Equal(4, n);
            return BitConverter.ToInt32(value) != 0;
        }

        public const int SoReuseAddr = 2;
        public const int SoReusePort = 15;

        public static bool IsLinux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
    }
}
