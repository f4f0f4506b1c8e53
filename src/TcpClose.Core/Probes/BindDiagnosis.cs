using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace TcpClose
{
    /// <summary>What Test-TcpBind asks.</summary>
    public sealed class BindTestOptions
    {
        public string Address { get; set; } = "127.0.0.1";
        public int Port { get; set; }
        public bool ReuseAddress { get; set; }
        public bool ExclusiveAddressUse { get; set; }
        /// <summary>Linux: the network namespace to work in (null: the caller's own).</summary>
        public NetworkNamespace NetworkNamespace { get; set; }
    }

    /// <summary>Would a listener bind now? (Test-TcpBind) and why not (the AddressInUse message).</summary>
    public static class BindDiagnosis
    {
        /// <summary>Try the bind for real with a listener's options, release it, and explain the verdict.</summary>
        public static BindTestResult Test(BindTestOptions options)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            Endpoints.CheckPort(options.Port, "port", allowZero: true);
            IPAddress address = Endpoints.ParseLocal(options.Address, "address");
            var request = new SocketRequest { ReuseAddress = options.ReuseAddress, ExclusiveAddressUse = options.ExclusiveAddressUse, Namespace = options.NetworkNamespace };
            SocketSetup.Check(request, address);

            var result = new BindTestResult
            {
                Address = Endpoints.Show(address),
                Port = options.Port,
                ReuseAddress = options.ReuseAddress,
                ExclusiveAddressUse = options.ExclusiveAddressUse,
                BlockedBy = Array.Empty<TcpTableEntry>(),
                NetworkNamespace = NetworkNamespace.Tag(options.NetworkNamespace),
            };

            // Bind and listen as Start-TcpListener would (listen can refuse too: SO_REUSEPORT groups),
            // then close at once: a listening socket that accepted nothing leaves no TIME_WAIT.
            SocketError error = SocketError.Success;
            using (Socket socket = SocketSetup.Create(address.AddressFamily, request))
            {
                try
                {
                    socket.Bind(new IPEndPoint(address, options.Port));
                    socket.Listen(1);
                }
                catch (SocketException ex)
                {
                    error = ex.SocketErrorCode;
                    result.NativeErrorCode = ex.NativeErrorCode;
                }
            }

            result.CanBind = error == SocketError.Success;
            result.Error = result.CanBind ? null : error.ToString();
            if (options.Port != 0)
            {
                Holders holders = Holders.Read(address, options.Port, false, options.NetworkNamespace);
                result.BlockedBy = result.CanBind ? Array.Empty<TcpTableEntry>() : holders.Rows;
                result.TimeWaitCount = holders.TimeWaitCount;
                result.LongestTimeWait = holders.LongestTimeWait;
                result.Advice = result.CanBind
                    ? CanBindAdvice(holders, options.Port)
                    : error == SocketError.AddressAlreadyInUse ? Advice(holders, options.Port, options.ReuseAddress)
                    : IsHeldExclusively(error, holders) ? ExclusiveNote + Advice(holders, options.Port, options.ReuseAddress)
                    : SocketSetup.Map(new SocketException((int)error), Endpoints.Show(address, options.Port), "bind").Message;
            }
            else
            {
                result.Advice = result.CanBind
                    ? "Port 0 asks the OS for any free port; that always works while ephemeral ports are left."
                    : SocketSetup.Map(new SocketException((int)error), Endpoints.Show(address, 0), "bind").Message;
            }

            return result;
        }

        /// <summary>The AddressInUse error for a failed bind, its message naming what holds the port and what to do.</summary>
        internal static TcpCloseException AddressInUse(SocketException ex, IPAddress address, int port, bool reuseAddress, string doing, bool dualMode = false,
            NetworkNamespace ns = null)
        {
            string endpoint = Endpoints.Show(address, port);
            Holders holders = Holders.Read(address, port, dualMode, ns);
            string why = (ex.SocketErrorCode == SocketError.AccessDenied ? ExclusiveNote : "") + Advice(holders, port, reuseAddress);
            return new TcpCloseException(ErrorIds.AddressInUse, TcpErrorCategory.ResourceUnavailable,
                $"Cannot {doing} {endpoint}: the address is already in use. {why}", endpoint, ex);
        }

        private const string ExclusiveNote = "A listener bound with SO_EXCLUSIVEADDRUSE holds it, and Windows answers a bind with SO_REUSEADDR over it with access denied (WSAEACCES) rather than address in use. ";

        /// <summary>
        /// Windows: a bind with SO_REUSEADDR to a port a live socket holds with SO_EXCLUSIVEADDRUSE fails
        /// with WSAEACCES, not WSAEADDRINUSE. Taken as that case only when the table shows a listener on
        /// the port (WSAEACCES also comes from ports the OS reserves, which no row explains).
        /// </summary>
        internal static bool IsHeldExclusively(SocketError error, IPAddress address, int port) =>
            SocketSetup.IsWindows && error == SocketError.AccessDenied && port != 0 && IsHeldExclusively(error, Holders.Read(address, port));

        private static bool IsHeldExclusively(SocketError error, Holders holders) =>
            SocketSetup.IsWindows && error == SocketError.AccessDenied && holders.Rows.Any(r => r.State == TcpState.Listen);

        private static string CanBindAdvice(Holders holders, int port)
        {
            if (holders.TimeWaitCount > 0)
            {
                return $"A listener can bind port {port} now, although {Rows(holders.TimeWaitCount)} in TIME_WAIT {Plural.Word(holders.TimeWaitCount, "remains", "remain")} (longest {Longest(holders)}).";
            }

            return $"Nothing holds port {port}: a listener can bind it now.";
        }

        private static string Advice(Holders holders, int port, bool reuseAddress)
        {
            if (!holders.Observed)
            {
                return $"The OS TCP table could not be read to say what holds it. Stop the process that listens on port {port}, or wait for its TIME_WAIT connections to go (Wait-TcpTimeWait -LocalPort {port}).";
            }

            TcpTableEntry listen = holders.Rows.FirstOrDefault(r => r.State == TcpState.Listen);
            if (listen != null)
            {
                return $"A live listener holds it: {Endpoints.Show(listen.LocalAddress, listen.LocalPort)} owned by {TcpTableEntry.Owner(listen)}. Stop that listener first; SO_REUSEADDR does not let two listeners share a port (only -ReusePort does, on Linux and macOS, and only if both set it).";
            }

            // A socket bound and not listening: one that never listened, or a listener removed with
            // Remove-TcpConnection whose owner has not closed it (Linux keeps an explicit bind).
            TcpTableEntry bound = holders.Rows.FirstOrDefault(r => r.State == TcpState.Bound);
            if (bound != null)
            {
                return $"A socket bound to it and not listening holds it: {Endpoints.Show(bound.LocalAddress, bound.LocalPort)} owned by {TcpTableEntry.Owner(bound)}. " +
                    "Linux keeps an explicitly bound port until its owner closes the socket, also after its listener was removed with Remove-TcpConnection: stop that process, or have it close the socket.";
            }

            int live = holders.Rows.Count(r => r.State != TcpState.TimeWait);
            // Offered only where it would work: Linux with CAP_NET_ADMIN, Windows elevated (IPv4 rows).
            bool removable = TcpRowRemoval.IsPermitted && (!SocketSetup.IsWindows || holders.Rows.All(r => r.AddressFamily == "IPv4"));
            if (holders.TimeWaitCount > 0)
            {
                string hold = Plural.Word(holders.TimeWaitCount, "holds", "hold");
                string wait = $"Wait-TcpTimeWait -LocalPort {port} waits for {Plural.Word(holders.TimeWaitCount, "it", "them")} (longest {Longest(holders)})"
                    + (removable ? $"; to free the port now, remove {Plural.Word(holders.TimeWaitCount + live, "it", "them")}: Get-{(live > 0 ? "TcpConnection" : "TcpTimeWait")} -LocalPort {port} | Remove-TcpConnection" : "");
                if (SocketSetup.IsWindows)
                {
                    return $"{Rows(holders.TimeWaitCount)} in TIME_WAIT {hold} it{(live > 0 ? $", with {Rows(live)} still open" : "")}. On Windows a listener bound with SO_EXCLUSIVEADDRUSE keeps its port until its connections are inactive; {wait}.";
                }

                return reuseAddress
                    ? $"{Rows(holders.TimeWaitCount)} in TIME_WAIT {hold} it{(live > 0 ? $", with {Rows(live)} still open" : "")}, and the old sockets did not set SO_REUSEADDR: Linux lets a new bind past TIME_WAIT only when both the old listener and the new one set it. Start the service's listener with -ReuseAddress from now on; for now, {wait}."
                    : $"{Rows(holders.TimeWaitCount)} in TIME_WAIT {hold} it (the server closed first, so its side waits 2*MSL){(live > 0 ? $", with {Rows(live)} still open" : "")}. Use -ReuseAddress on both the old and the new listener (SO_REUSEADDR before bind), or {wait}.";
            }

            if (live > 0)
            {
                TcpTableEntry row = holders.Rows.First();
                return $"{Rows(live)} on port {port} still {Plural.Word(live, "holds", "hold")} it (for example {Endpoints.Show(row.RemoteAddress, row.RemotePort)} in {row.State}): connections accepted by the old listener outlive it. Close {Plural.Word(live, "it", "them")}{(removable ? $" (or remove {Plural.Word(live, "it", "them")}: Get-TcpConnection -LocalPort {port} | Remove-TcpConnection)" : "")}, or use -ReuseAddress on both the old and the new listener.";
            }

            return $"No row in the TCP table explains it (the holder may have gone since, or be in another network namespace); try again, or look with Get-TcpConnection -LocalPort {port}.";
        }

        private static string Rows(int n) => Plural.Of(n, "connection");

        private static string Seconds(TimeSpan? t) => t.HasValue ? $"{Math.Ceiling(t.Value.TotalSeconds):0} s" : "unknown time";

        // Windows and macOS keep no TIME_WAIT timer we can read: the time is first seen + the OS's TIME_WAIT length.
        private static string Longest(Holders holders) =>
            holders.LongestEstimated && holders.LongestTimeWait.HasValue ? $"about {Seconds(holders.LongestTimeWait)} left, estimated" : $"{Seconds(holders.LongestTimeWait)} left";

        /// <summary>The rows of the OS table that can stand in the way of a bind to address:port.</summary>
        private sealed class Holders
        {
            public bool Observed;
            public IReadOnlyList<TcpTableEntry> Rows = Array.Empty<TcpTableEntry>();
            public int TimeWaitCount;
            public TimeSpan? LongestTimeWait;
            public bool LongestEstimated;

            private static readonly TcpState[] AllStates = (TcpState[])Enum.GetValues(typeof(TcpState));

            /// <summary>
            /// The rows that can block a bind to address:port. <paramref name="dualMode"/>: an IPv6
            /// socket that takes IPv4 too (IPV6_V6ONLY off); .NET's IPv6 sockets are IPV6_V6ONLY, and
            /// Linux then never matches them against IPv4 sockets (ipv6_rcv_saddr_equal).
            /// </summary>
            public static Holders Read(IPAddress address, int port, bool dualMode = false, NetworkNamespace ns = null)
            {
                var holders = new Holders();
                try
                {
                    // Every state, Bound included (listed only when asked for: Linux 6.9+ netlink).
                    var rows = TcpTable.Read(new TcpTableFilter { LocalPorts = new[] { port }, States = AllStates, NetworkNamespace = ns })
                        .Where(r => Overlaps(address, r.LocalAddress, dualMode))
                        .ToList();
                    holders.Rows = rows;
                    var timeWait = rows.Where(r => r.State == TcpState.TimeWait).ToList();
                    holders.TimeWaitCount = timeWait.Count;
                    holders.LongestTimeWait = timeWait.Count == 0 ? (TimeSpan?)null
                        : timeWait.Max(r => r.TimeWaitLeft ?? TimeSpan.Zero);
                    holders.LongestEstimated = timeWait.Any(r => r.TimeWaitLeftEstimated);
                    holders.Observed = true;
                }
                catch (Exception ex) when (!(ex is OutOfMemoryException))
                {
                    // The verdict stands without the table; the advice says it could not look.
                }

                return holders;
            }

            // A wildcard on either side (0.0.0.0, ::) overlaps every address of the family. An IPv6
            // wildcard row may be dual-stack and cover IPv4 too (the table does not say); the IPv6
            // wildcard asked for covers IPv4 only in dual mode.
            private static bool Overlaps(IPAddress wanted, string rowAddress, bool dualMode)
            {
                if (!IPAddress.TryParse(rowAddress, out IPAddress row))
                {
                    return true;
                }

                if (wanted.AddressFamily == AddressFamily.InterNetworkV6 && !dualMode && row.AddressFamily == AddressFamily.InterNetwork)
                {
                    return false; // rows shown as IPv4 are IPv4 sockets, or IPv6 ones on v4-mapped addresses: neither meets an IPV6_V6ONLY bind
                }

                bool rowAny = row.Equals(IPAddress.Any) || row.Equals(IPAddress.IPv6Any);
                bool wantedAny = wanted.Equals(IPAddress.Any) || wanted.Equals(IPAddress.IPv6Any);
                if (rowAny || wantedAny)
                {
                    return row.AddressFamily == wanted.AddressFamily || row.Equals(IPAddress.IPv6Any) || wanted.Equals(IPAddress.IPv6Any);
                }

                return Endpoints.Show(row) == Endpoints.Show(wanted);
            }
        }
    }
}
