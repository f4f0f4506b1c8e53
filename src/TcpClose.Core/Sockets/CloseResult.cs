using System;

namespace TcpClose
{
    /// <summary>What a close did, as observed.</summary>
    public sealed class CloseResult : INetworkNamespaceBound
    {
        /// <summary>The network namespace the connection lived in, when it was made in one: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }

        public int ConnectionId { get; internal set; }
        public string LocalAddress { get; internal set; }
        public int LocalPort { get; internal set; }
        public string RemoteAddress { get; internal set; }
        public int RemotePort { get; internal set; }
        public CloseStyle Style { get; internal set; }
        /// <summary>The linger time asked for (Linger style), else null.</summary>
        public int? LingerSeconds { get; internal set; }
        /// <summary>How long the close took (close() blocking for Linger, draining for HalfClose).</summary>
        public TimeSpan Elapsed { get; internal set; }
        public double ElapsedSeconds => Elapsed.TotalSeconds;
        /// <summary>Linger: close() returned only when the linger time ran out (data may still be delivered on Linux).</summary>
        public bool LingerTimedOut { get; internal set; }
        /// <summary>HalfClose: the peer's FIN arrived (read returned 0) before the timeout.</summary>
        public bool PeerFinSeen { get; internal set; }
        /// <summary>HalfClose: the drain ran out of time before the peer's FIN.</summary>
        public bool TimedOut { get; internal set; }
        /// <summary>HalfClose: the peer reset the connection while we drained.</summary>
        public bool PeerReset { get; internal set; }
        /// <summary>Bytes read and discarded while draining before close.</summary>
        public long BytesDrained { get; internal set; }
        /// <summary>Bytes that were unsent in our send queue when close was called, where the OS says (Linux SIOCOUTQ), else null.</summary>
        public long? UnsentBytes { get; internal set; }
        /// <summary>
        /// The state the OS table shows for this connection's local end right after close (TimeWait,
        /// FinWait1, FinWait2...), or null when it has no row (after an abort). See <see cref="LocalStateObserved"/>.
        /// </summary>
        public TcpState? LocalStateAfter { get; internal set; }
        /// <summary>False when the OS table could not be read, so <see cref="LocalStateAfter"/> means nothing.</summary>
        public bool LocalStateObserved { get; internal set; }
        public DateTime ClosedAt { get; internal set; }

        public override string ToString() => $"{Style} close of {LocalAddress}:{LocalPort} -> {RemoteAddress}:{RemotePort}: {(LocalStateAfter?.ToString() ?? "no row")}";
    }
}
