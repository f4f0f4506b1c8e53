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
}
