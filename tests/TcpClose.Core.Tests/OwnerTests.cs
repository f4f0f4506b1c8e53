using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>
    /// Owners of table rows on Linux (SocketOwners): exact against ss -tanp, found only when asked
    /// for, and from one process's descriptors where only that process is asked about.
    /// </summary>
    public sealed class OwnerTests
    {
        /// <summary>
        /// A connection made by bash (its /dev/tcp), whose forked child (sleep) inherits the socket:
        /// ss -p names both processes; the row's owner is the first in /proc order, the lowest PID.
        /// Every row of the test's port is compared with ss's own answer.
        /// </summary>
        [LinuxFact]
        public void OwnersEqualWhatSsNamesAndASharedSocketGoesToTheLowestPid()
        {
            using Listener listener = Loopback.Listen();
            int port = listener.LocalPort;
            // bash connects (fd 3), then forks sleep, which inherits fd 3 and holds it while bash waits.
            using var shell = Process.Start(new ProcessStartInfo("bash", new[] { "-c", $"exec 3<>/dev/tcp/127.0.0.1/{port}; sleep 60 & wait" })
            {
                UseShellExecute = false,
            })!;
            try
            {
                using Connection accepted = listener.Accept(TimeSpan.FromSeconds(10));
                int clientPort = accepted.RemotePort;
                // Wait until both processes hold the client's socket (sleep has been forked).
                string clientKey = $"127.0.0.1:{clientPort} 127.0.0.1:{port}";
                Dictionary<string, int[]> ss = Poll.Until(() => SsOwners(port), o => o.TryGetValue(clientKey, out int[] p) && p.Length == 2, TimeSpan.FromSeconds(10));
                Assert.Equal(2, ss[clientKey].Length);

                // This test's own rows, by 4-tuple: other connections may share the client's local
                // port (outgoing connections to other destinations can), never the listener's.
                List<TcpTableEntry> rows = TcpTable.Read(new TcpTableFilter { LocalAddresses = new[] { "127.0.0.1" }, LocalPorts = new[] { port, clientPort } })
                    .Where(r => r.LocalPort == port || r.RemotePort == port).ToList();
                Assert.Equal(3, rows.Count); // the listener, the accepted side, the client's side
                foreach (TcpTableEntry row in rows)
                {
                    string remote = row.RemotePort == 0 ? "0.0.0.0:*" : $"{row.RemoteAddress}:{row.RemotePort}";
                    int[] holders = ss[$"{row.LocalAddress}:{row.LocalPort} {remote}"];
                    Assert.Equal(holders.Min(), row.OwningProcess);
                }
                TcpTableEntry client = rows.Single(r => r.LocalPort == clientPort);
                Assert.Equal(shell.Id, client.OwningProcess);           // bash, the parent
                Assert.Equal("bash", client.ProcessName);
                Assert.Equal(Environment.ProcessId, rows.Single(r => r.State == TcpState.Listen).OwningProcess);
            }
            finally
            {
                shell.Kill(entireProcessTree: true);
                shell.WaitForExit(10000);
            }
        }

        /// <summary>A read whose owners nobody reads walks no process; the first owner asked for does.</summary>
        [LinuxFact]
        public void NoProcessIsReadUntilAnOwnerIsAskedFor()
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback);
            int port = ((IPEndPoint)l.LocalEndPoint).Port;
            net.Connect(l);

            long walked = SocketOwners.ProcessesWalked + SocketOwners.ProcessesVerified;
            List<TcpTableEntry> rows = TcpTable.Read(new TcpTableFilter { LocalPorts = new[] { port } }).ToList();
            Assert.Equal(2, rows.Count);
            Assert.Equal(walked, SocketOwners.ProcessesWalked + SocketOwners.ProcessesVerified);

            Assert.All(rows, r => Assert.Equal(Environment.ProcessId, r.OwningProcess));
            Assert.True(SocketOwners.ProcessesWalked + SocketOwners.ProcessesVerified > walked, "asking for an owner read /proc");
        }

        /// <summary>OwningProcesses reads only those processes' descriptors: no walk of the host.</summary>
        [LinuxFact]
        public void OwningProcessesReadsOnlyThoseProcesses()
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback);
            int port = ((IPEndPoint)l.LocalEndPoint).Port;
            net.Connect(l);

            long walked = SocketOwners.ProcessesWalked;
            List<TcpTableEntry> mine = TcpTable.Read(new TcpTableFilter { LocalPorts = new[] { port }, OwningProcesses = new[] { Environment.ProcessId } }).ToList();

            Assert.Equal(2, mine.Count);
            Assert.All(mine, r => Assert.Equal(Environment.ProcessId, r.OwningProcess));
            Assert.Equal(walked, SocketOwners.ProcessesWalked);
        }

        /// <summary>A process that is gone (as one that exits during a walk) is no error: it holds nothing.</summary>
        [LinuxFact]
        public void AProcessThatExitedHoldsNoSocketAndIsNoError()
        {
            int pid;
            using (var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
            {
                pid = gone.Id;
                Assert.True(gone.WaitForExit(10000));
            }
            Assert.Empty(TcpClose.Native.LinuxProcesses.SocketInodesOf(pid));
        }

        /// <summary>ss -tanp's owners of the rows on one port (either end): "local peer" to the PIDs it names.</summary>
        static Dictionary<string, int[]> SsOwners(int port)
        {
            var owners = new Dictionary<string, int[]>();
            string output = Loopback.Ss($"-H -tanp state all ( sport = :{port} or dport = :{port} )");
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] f = Regex.Split(line.Trim(), @"\s+");
                if (f.Length < 6)
                    continue;
                owners[$"{f[3]} {f[4]}"] = Regex.Matches(line, @"pid=(\d+)").Select(m => int.Parse(m.Groups[1].Value)).ToArray();
            }
            return owners;
        }
    }
}
