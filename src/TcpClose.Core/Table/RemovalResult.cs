namespace TcpClose
{
    /// <summary>What Remove-TcpConnection did to one row. Immutable, no live handles.</summary>
    public sealed class RemovalResult : INetworkNamespaceBound
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
        /// <summary>The network namespace this was removed from, when one was asked for: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }

        public override string ToString() =>
            $"{Endpoints.Show(LocalAddress, LocalPort)} -> {Endpoints.Show(RemoteAddress, RemotePort)} {Outcome}{(ErrorId == null ? "" : " " + ErrorId)}";
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
}
