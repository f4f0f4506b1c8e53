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

        /// <summary>
        /// The sockets this process holds open (Linux: the socket:[inode] links of /proc/self/fd),
        /// read after garbage collection and finalizers have run, so a socket an earlier test
        /// dropped without closing is closed before it is counted.
        /// </summary>
        public static HashSet<long> OpenFds()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return OpenSockets();
        }

        static HashSet<long> OpenSockets()
        {
            var sockets = new HashSet<long>();
            foreach (string fd in Directory.GetFiles("/proc/self/fd"))
            {
                string target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (IOException)
                {
                    continue; // closed while listed (the listing's own descriptor)
                }
                if (target != null && target.StartsWith("socket:[", StringComparison.Ordinal) && long.TryParse(target.AsSpan(8, target.Length - 9), out long inode))
                    sockets.Add(inode);
            }
            return sockets;
        }

        /// <summary>
        /// No socket is open now that was not open <paramref name="before"/> (read by OpenFds, after
        /// the finalizers ran): the call closed every socket it opened. Read now without collecting,
        /// so a socket the call dropped without closing is caught before a finalizer would close it.
        /// </summary>
        public static void AssertNoFdLeak(HashSet<long> before)
        {
            var added = OpenSockets();
            added.ExceptWith(before);
            Assert.True(added.Count == 0, $"{added.Count} socket(s) opened by the call are still open: socket:[{string.Join("], socket:[", added)}]");
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
