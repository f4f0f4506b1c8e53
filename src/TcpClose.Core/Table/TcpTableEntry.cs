using System;

namespace TcpClose
{
    /// <summary>
    /// One row of the OS's TCP table, immutable and without live handles (it survives remoting and
    /// Export-Csv). Property names follow Get-NetTCPConnection.
    /// </summary>
    public sealed class TcpTableEntry : INetworkNamespaceBound
    {
        /// <summary>Who holds a row, for messages: "process 1234 (nginx)", or that the owner is not visible.</summary>
        internal static string Owner(TcpTableEntry row) => row.OwningProcess.HasValue
            ? $"process {row.OwningProcess}{(string.IsNullOrEmpty(row.ProcessName) ? "" : $" ({row.ProcessName})")}"
            : "another process (its owner is not visible to this user)";

        public TcpTableEntry(string localAddress, int localPort, string remoteAddress, int remotePort, TcpState state,
            int? owningProcess, string processName, TimeSpan? timerRemaining, long? inode, TcpTableSource source)
        {
            LocalAddress = localAddress;
            LocalPort = localPort;
            RemoteAddress = remoteAddress;
            RemotePort = remotePort;
            State = state;
            _owningProcess = owningProcess;
            _processName = processName;
            TimerRemaining = timerRemaining;
            Inode = inode;
            Source = source;
        }

        /// <summary>Canonical text form; IPv4-mapped IPv6 shown as IPv4.</summary>
        public string LocalAddress { get; }
        public int LocalPort { get; }
        public string RemoteAddress { get; }
        public int RemotePort { get; }
        public TcpState State { get; }
        /// <summary>"IPv4" or "IPv6", from the address as shown.</summary>
        public string AddressFamily => LocalAddress != null && LocalAddress.IndexOf(':') >= 0 ? "IPv6" : "IPv4";
        /// <summary>
        /// PID of the owning process where known; null where the OS does not say (TIME_WAIT rows never
        /// have one). On Linux it is found when first read (see <see cref="SocketOwners"/>).
        /// </summary>
        public int? OwningProcess
        {
            get
            {
                ResolveOwner();
                return _owningProcess;
            }
        }

        public string ProcessName
        {
            get
            {
                ResolveOwner();
                return _processName;
            }
        }

        int? _owningProcess;
        string _processName;
        SocketOwners _owners;

        /// <summary>Linux: the owner is looked up in <paramref name="owners"/> when first asked for (null: it is known).</summary>
        internal TcpTableEntry OwnedLater(SocketOwners owners)
        {
            _owners = owners;
            return this;
        }

        void ResolveOwner()
        {
            SocketOwners owners = System.Threading.Volatile.Read(ref _owners);
            if (owners == null)
                return;
            // Two threads asking at once both find the same answer; the fields are written before
            // the resolver is let go, so whoever sees it gone sees them.
            int? pid = owners.PidOfInode(Inode ?? 0);
            _processName = pid.HasValue ? owners.NameOf(pid.Value, true) : null;
            _owningProcess = pid;
            System.Threading.Volatile.Write(ref _owners, null);
        }
        /// <summary>Time left on the socket's active timer where the OS says (TIME_WAIT: time until the row goes).</summary>
        public TimeSpan? TimerRemaining { get; }
        /// <summary>Linux socket inode (0 for TIME_WAIT); null elsewhere.</summary>
        public long? Inode { get; }
        /// <summary>Which OS interface produced the row.</summary>
        public TcpTableSource Source { get; }

        /// <summary>The network namespace the row was read in, when one was asked for (-NetworkNamespace):
        /// its name, else net:[INODE]; null for the caller's own table read without the parameter.</summary>
        public string NetworkNamespace { get; internal set; }

        /// <summary>TIME_WAIT rows: time left, from the OS timer or the first-seen estimate (as Get-TcpTimeWait shows it).</summary>
        internal TimeSpan? TimeWaitLeft { get; set; }

        /// <summary>True when <see cref="TimeWaitLeft"/> is the first-seen estimate.</summary>
        internal bool TimeWaitLeftEstimated { get; set; }

        /// <summary>The kernel's id of the socket (netlink rows), which Remove-TcpConnection sends back;
        /// not a property PowerShell shows or serializes.</summary>
        internal SocketId KernelId { get; set; }

        public override string ToString() => $"{LocalAddress}:{LocalPort} -> {RemoteAddress}:{RemotePort} {State}";
    }

    /// <summary>The OS interface a table row came from.</summary>
    public enum TcpTableSource
    {
        /// <summary>Linux NETLINK_SOCK_DIAG / inet_diag (what ss uses).</summary>
        Netlink,
        /// <summary>Linux /proc/net/tcp and /proc/net/tcp6.</summary>
        ProcNet,
        /// <summary>Windows GetExtendedTcpTable.</summary>
        WindowsTcpTable,
        /// <summary>.NET IPGlobalProperties.GetActiveTcpConnections (no PIDs, no timers).</summary>
        IPGlobalProperties,
    }
}
