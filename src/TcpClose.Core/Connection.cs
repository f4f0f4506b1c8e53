using System;
using System.Net.Sockets;
using System.Text;

namespace TcpClose
{
    /// <summary>What New-TcpConnection asks for.</summary>
    public sealed class ConnectOptions
    {
        /// <summary>IP literal or host name.</summary>
        public string RemoteAddress { get; set; }
        /// <summary>1..65535.</summary>
        public int RemotePort { get; set; }
        /// <summary>Optional local address to bind before connect.</summary>
        public string LocalAddress { get; set; }
        /// <summary>Optional local port to bind before connect (0 = ephemeral).</summary>
        public int LocalPort { get; set; }
        /// <summary>SO_REUSEADDR alone before the local bind.</summary>
        public bool ReuseAddress { get; set; }
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    }

    /// <summary>
    /// A connected socket held by this process (client or accepted). Holds a live socket; kept in
    /// <see cref="TcpRegistry"/> until closed. After close the object stays as a record with State Closed.
    /// </summary>
    public sealed class Connection : IDisposable
    {
        internal Connection() { }

        public int Id { get; internal set; }
        public ConnectionRole Role { get; internal set; }
        /// <summary>Id of the listener that accepted it (server side), else null.</summary>
        public int? ListenerId { get; internal set; }
        public string LocalAddress { get; internal set; }
        public int LocalPort { get; internal set; }
        public string RemoteAddress { get; internal set; }
        public int RemotePort { get; internal set; }
        public string AddressFamily => LocalAddress != null && LocalAddress.IndexOf(':') >= 0 ? "IPv6" : "IPv4";
        /// <summary>SO_REUSEADDR read back from the socket (accepted sockets inherit the listener's).</summary>
        public bool ReuseAddress { get; internal set; }
        public ConnectionStatus State { get; internal set; }
        /// <summary>True once this side has sent its FIN (shutdown of the send direction).</summary>
        public bool SendShutdown { get; internal set; }
        /// <summary>True once a read returned end of stream (the peer's FIN).</summary>
        public bool PeerFinSeen { get; internal set; }
        public DateTime ConnectedAt { get; internal set; }
        public long BytesSent { get; internal set; }
        public long BytesReceived { get; internal set; }
        /// <summary>The result of the close, once closed.</summary>
        public CloseResult CloseResult { get; internal set; }

        internal Socket Socket { get; set; }

        /// <summary>Send all of <paramref name="data"/> or as much as the timeout allows. ConnectionClosed after close.</summary>
        public SendResult Send(byte[] data, TimeSpan timeout) => throw new NotImplementedException();

        /// <summary>Send <paramref name="count"/> zero bytes (to fill buffers), as much as the timeout allows.</summary>
        public SendResult SendFill(long count, TimeSpan timeout) => throw new NotImplementedException();

        /// <summary>
        /// Read what arrives within the timeout, up to maxBytes. With untilEndOfStream, keep reading
        /// until the peer's FIN, a reset, maxBytes or the timeout. Never throws for EOF or RST: those
        /// are reported in the result. ConnectionClosed after close.
        /// </summary>
        public ReceiveResult Receive(int maxBytes, TimeSpan timeout, bool untilEndOfStream, Encoding encoding) => throw new NotImplementedException();

        /// <summary>
        /// End the connection in the given style and report what happened. lingerSeconds is used by
        /// Linger (0..65535); timeout by HalfClose. ConnectionClosed when already closed (nothing done).
        /// </summary>
        public CloseResult Close(CloseStyle style, int lingerSeconds, TimeSpan timeout) => throw new NotImplementedException();

        /// <summary>Abortive close without a result, for clean-up (registry, Dispose).</summary>
        public void Dispose() => throw new NotImplementedException();

        public override string ToString() => $"Connection {Id} {LocalAddress}:{LocalPort} -> {RemoteAddress}:{RemotePort} {State}";
    }

    /// <summary>What a close did, as observed.</summary>
    public sealed class CloseResult
    {
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

    public sealed class SendResult
    {
        public int ConnectionId { get; internal set; }
        public long BytesRequested { get; internal set; }
        public long BytesSent { get; internal set; }
        /// <summary>The peer did not take all the data before the timeout (its window is full).</summary>
        public bool TimedOut { get; internal set; }
        public TimeSpan Elapsed { get; internal set; }
    }

    public sealed class ReceiveResult
    {
        public int ConnectionId { get; internal set; }
        public int Count => Data?.Length ?? 0;
        public byte[] Data { get; internal set; }
        /// <summary>Data decoded with the encoding asked for.</summary>
        public string Text { get; internal set; }
        /// <summary>The peer's FIN was read (end of stream).</summary>
        public bool EndOfStream { get; internal set; }
        /// <summary>The peer reset the connection (ECONNRESET).</summary>
        public bool Reset { get; internal set; }
        /// <summary>The timeout passed before the read condition was met.</summary>
        public bool TimedOut { get; internal set; }
        public TimeSpan Elapsed { get; internal set; }
    }
}
