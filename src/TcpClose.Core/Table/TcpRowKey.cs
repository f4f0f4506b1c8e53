using System;
using System.Net;

namespace TcpClose
{
    /// <summary>
    /// A row of the OS TCP table to remove: its endpoints, the state it was seen in and, for rows read
    /// through Linux netlink in this process, the kernel's own id of the socket (cookie included).
    /// </summary>
    public sealed class TcpRowKey
    {
        /// <summary>
        /// A row given by value (a deserialized or CSV row, a Get-NetTCPConnection object). Addresses are
        /// IP literals; InvalidAddress or InvalidPort names a bad value.
        /// </summary>
        /// <param name="localAddress">The local address as shown (IPv4, IPv6, or IPv4-mapped IPv6).</param>
        /// <param name="localPort">0 to 65535.</param>
        /// <param name="remoteAddress">The remote address; 0.0.0.0 or :: for a listener.</param>
        /// <param name="remotePort">0 to 65535; 0 for a listener.</param>
        /// <param name="state">The state the row was seen in, or null for any: a TimeWait row only ever
        /// matches a TIME_WAIT socket and a Listen row a listener, so a new connection that reused a
        /// 4-tuple is not taken for the old row.</param>
        /// <param name="inode">The Linux socket inode, where known and non-zero: then only that socket matches.</param>
        /// <param name="row">What the caller was given, kept as the target of errors.</param>
        public TcpRowKey(string localAddress, int localPort, string remoteAddress, int remotePort, TcpState? state, long? inode, object row)
        {
            IPAddress local = Endpoints.ParseLocal(localAddress, "local address");
            IPAddress remote = Endpoints.ParseLocal(remoteAddress, "remote address");
            Endpoints.CheckPort(localPort, "local port", allowZero: true);
            Endpoints.CheckPort(remotePort, "remote port", allowZero: true);
            Local = IPKey.FromAddress(local);
            Remote = IPKey.FromAddress(remote);
            LocalAddress = Show(local);
            RemoteAddress = Show(remote);
            LocalPort = localPort;
            RemotePort = remotePort;
            State = state;
            Inode = inode;
            Row = row;
        }

        /// <summary>A row read by Get-TcpConnection / TcpTable.Read.</summary>
        public static TcpRowKey From(TcpTableEntry row)
        {
            if (row == null)
                throw new ArgumentNullException(nameof(row));
            return new TcpRowKey(row.LocalAddress, row.LocalPort, row.RemoteAddress, row.RemotePort, row.State, row.Inode, row)
            {
                KernelId = row.KernelId,
            };
        }

        /// <summary>A row read by Get-TcpTimeWait / TcpTable.ReadTimeWait.</summary>
        public static TcpRowKey From(TimeWaitEntry row)
        {
            if (row == null)
                throw new ArgumentNullException(nameof(row));
            return new TcpRowKey(row.LocalAddress, row.LocalPort, row.RemoteAddress, row.RemotePort, TcpState.TimeWait, null, row)
            {
                KernelId = row.KernelId,
            };
        }

        /// <summary>Canonical text (IPv4-mapped IPv6 shown as IPv4).</summary>
        public string LocalAddress { get; }
        public int LocalPort { get; }
        public string RemoteAddress { get; }
        public int RemotePort { get; }
        /// <summary>The state the row was seen in; null: any.</summary>
        public TcpState? State { get; }
        public long? Inode { get; }
        /// <summary>The object the key was made from.</summary>
        public object Row { get; }

        internal IPKey Local { get; }
        internal IPKey Remote { get; }
        internal SocketId KernelId { get; private set; }

        /// <summary>"127.0.0.1:8080 -> 127.0.0.1:51234 (TimeWait)", as -WhatIf and the errors name the row.</summary>
        public override string ToString() =>
            $"{Endpoints.Show(LocalAddress, LocalPort)} -> {Endpoints.Show(RemoteAddress, RemotePort)}{(State.HasValue ? $" ({State.Value})" : "")}";

        static string Show(IPAddress a) => IPKey.FromAddress(a).Format();
    }

    /// <summary>How the removal of one row ended.</summary>
    public enum RemovalOutcome
    {
        /// <summary>The OS removed the socket: a TIME_WAIT row is gone, a connection was reset, a listener closed.</summary>
        Removed,
        /// <summary>No such socket when its turn came (it ended on its own, or was removed already). Not an error.</summary>
        AlreadyGone,
        /// <summary>The OS refused; <see cref="RemovalResult.ErrorId"/> says why and an error record was written.</summary>
        Failed,
    }

    /// <summary>What Remove-TcpConnection did to one row. Immutable, no live handles.</summary>
    public sealed class RemovalResult
    {
        public RemovalResult(string localAddress, int localPort, string remoteAddress, int remotePort, TcpState? state,
            RemovalOutcome outcome, string errorId)
        {
            LocalAddress = localAddress;
            LocalPort = localPort;
            RemoteAddress = remoteAddress;
            RemotePort = remotePort;
            State = state;
            Outcome = outcome;
            ErrorId = errorId;
        }

        public string LocalAddress { get; }
        public int LocalPort { get; }
        public string RemoteAddress { get; }
        public int RemotePort { get; }
        /// <summary>The state of the socket removed (as the kernel last reported it where it was looked up), else as given.</summary>
        public TcpState? State { get; }
        public string AddressFamily => LocalAddress != null && LocalAddress.IndexOf(':') >= 0 ? "IPv6" : "IPv4";
        /// <summary>True only when the OS removed the socket now.</summary>
        public bool Removed => Outcome == RemovalOutcome.Removed;
        public RemovalOutcome Outcome { get; }
        /// <summary>The error id (one of <see cref="ErrorIds"/>) when <see cref="Outcome"/> is Failed, else null.</summary>
        public string ErrorId { get; }
        /// <summary>
        /// For a removed listener: true when no socket holds its address and port any more, false when
        /// the port stays bound (Linux keeps an explicitly bound port until the owner closes the socket;
        /// <see cref="Note"/> names the owner). Null for other rows, and where the OS cannot tell
        /// (bound sockets are listed by Linux 6.9 and later only).
        /// </summary>
        public bool? PortReleased { get; internal set; }
        /// <summary>What the removal leaves that the outcome does not say (a port still bound, and by whom), else null.</summary>
        public string Note { get; internal set; }

        public override string ToString() =>
            $"{Endpoints.Show(LocalAddress, LocalPort)} -> {Endpoints.Show(RemoteAddress, RemotePort)} {Outcome}{(ErrorId == null ? "" : " " + ErrorId)}";
    }
}
