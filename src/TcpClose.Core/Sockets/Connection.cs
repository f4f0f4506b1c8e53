using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

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
        /// <summary>Linux: the network namespace to work in (null: the caller's own).</summary>
        public NetworkNamespace NetworkNamespace { get; set; }
    }

    /// <summary>
    /// A connected socket held by this process (client or accepted). Holds a live socket; kept in
    /// <see cref="TcpRegistry"/> until closed. After close the object stays as a record with State Closed.
    /// </summary>
    public sealed class Connection : IDisposable, INetworkNamespaceBound
    {
        internal Connection() { }

        public int Id { get; internal set; }
        public ConnectionRole Role { get; internal set; }
        /// <summary>Id of the listener that accepted it (server side), else null.</summary>
        public int? ListenerId { get; internal set; }
        /// <summary>The network namespace this was made in, when one was asked for: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }
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

        /// <summary>Where the socket was made (null: the caller's own namespace): its table rows are read there.</summary>
        internal NetworkNamespace Namespace { get; set; }

        /// <summary>Send all of <paramref name="data"/> or as much as the timeout allows. ConnectionClosed after close.</summary>
        public SendResult Send(byte[] data, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            if (data == null)
            {
                throw new ArgumentNullException(nameof(data));
            }

            Endpoints.CheckTimeout(timeout, "send timeout");
            return SendCore(data, data.Length, timeout, repeat: false, cancellationToken);
        }

        /// <summary>Send <paramref name="count"/> zero bytes (to fill buffers), as much as the timeout allows.</summary>
        public SendResult SendFill(long count, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            if (count < 1)
            {
                throw new TcpCloseException(ErrorIds.InvalidCount, TcpErrorCategory.InvalidArgument,
                    $"{count} is not a valid byte count to send: it must be 1 or more.", count);
            }

            Endpoints.CheckTimeout(timeout, "send timeout");
            return SendCore(new byte[(int)Math.Min(count, 64 * 1024)], count, timeout, repeat: true, cancellationToken);
        }

        private SendResult SendCore(byte[] buffer, long total, TimeSpan timeout, bool repeat, CancellationToken cancellationToken)
        {
            Socket socket = LiveSocket("send on");
            if (SendShutdown)
            {
                throw new TcpCloseException(ErrorIds.ConnectionClosed, TcpErrorCategory.InvalidOperation,
                    $"Connection {Id} ({Describe()}) has already sent its FIN (half-closed): nothing more can be sent on it.", this);
            }

            var clock = Stopwatch.StartNew();
            DateTime deadline = Endpoints.Deadline(timeout);
            long sent = 0;
            bool timedOut = false;
            try
            {
                while (sent < total)
                {
                    if (!Endpoints.WaitReady(socket, SelectMode.SelectWrite, deadline, cancellationToken))
                    {
                        timedOut = true;
                        break;
                    }

                    int offset = repeat ? 0 : (int)sent;
                    int size = (int)Math.Min(total - sent, buffer.Length - offset);
                    int n = socket.Send(buffer, offset, size, SocketFlags.None, out SocketError error);
                    if (error == SocketError.WouldBlock)
                    {
                        continue;
                    }

                    if (error != SocketError.Success)
                    {
                        throw new SocketException((int)error);
                    }

                    sent += n;
                }
            }
            catch (SocketException ex)
            {
                throw SocketSetup.Map(ex, Describe(), "send on");
            }
            finally
            {
                BytesSent += sent;
            }

            return new SendResult { ConnectionId = Id, BytesRequested = total, BytesSent = sent, TimedOut = timedOut, Elapsed = clock.Elapsed };
        }

        /// <summary>
        /// Read what arrives within the timeout, up to maxBytes. With untilEndOfStream, keep reading
        /// until the peer's FIN, a reset, maxBytes or the timeout. Never throws for EOF or RST: those
        /// are reported in the result. ConnectionClosed after close.
        /// </summary>
        public ReceiveResult Receive(int maxBytes, TimeSpan timeout, bool untilEndOfStream, Encoding encoding, CancellationToken cancellationToken = default)
        {
            if (maxBytes < 1)
            {
                throw new TcpCloseException(ErrorIds.InvalidCount, TcpErrorCategory.InvalidArgument,
                    $"{maxBytes} is not a valid number of bytes to receive: it must be 1 or more.", maxBytes);
            }

            Endpoints.CheckTimeout(timeout, "receive timeout");
            Socket socket = LiveSocket("receive on");
            var clock = Stopwatch.StartNew();
            DateTime deadline = Endpoints.Deadline(timeout);
            var data = new MemoryStream();
            var buffer = new byte[Math.Min(maxBytes, 64 * 1024)];
            var result = new ReceiveResult { ConnectionId = Id };
            while (data.Length < maxBytes)
            {
                // Once something has arrived a plain read returns it at once rather than waiting for more.
                bool wait = data.Length == 0 || untilEndOfStream;
                if (!(wait ? Endpoints.WaitReady(socket, SelectMode.SelectRead, deadline, cancellationToken) : socket.Poll(0, SelectMode.SelectRead)))
                {
                    result.TimedOut = wait;
                    break;
                }

                int n = socket.Receive(buffer, 0, (int)Math.Min(buffer.Length, maxBytes - data.Length), SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    continue;
                }

                if (error == SocketError.ConnectionReset)
                {
                    result.Reset = true;
                    break;
                }

                if (error != SocketError.Success)
                {
                    throw SocketSetup.Map(new SocketException((int)error), Describe(), "receive on");
                }

                if (n == 0)
                {
                    result.EndOfStream = true;
                    PeerFinSeen = true;
                    break;
                }

                data.Write(buffer, 0, n);
            }

            BytesReceived += data.Length;
            result.Data = data.ToArray();
            result.Text = (encoding ?? new UTF8Encoding(false)).GetString(result.Data);
            result.Elapsed = clock.Elapsed;
            return result;
        }

        /// <summary>
        /// InvalidLinger or InvalidTimeout for arguments no close could use, whatever the connection:
        /// Close checks them, and Close-TcpConnection checks them before ShouldProcess, so -WhatIf
        /// never shows a close the cmdlet would refuse.
        /// </summary>
        public static void CheckCloseArguments(CloseStyle style, int lingerSeconds, TimeSpan timeout)
        {
            if (style == CloseStyle.Linger && (lingerSeconds < 0 || lingerSeconds > 65535))
            {
                throw new TcpCloseException(ErrorIds.InvalidLinger, TcpErrorCategory.InvalidArgument,
                    $"{lingerSeconds} is not a valid linger time: it must be between 0 and 65535 seconds (0 is an abortive close: use -Abort to say so).",
                    lingerSeconds);
            }

            if (style == CloseStyle.HalfClose)
            {
                Endpoints.CheckTimeout(timeout, "half-close timeout");
            }
        }

        /// <summary>
        /// End the connection in the given style and report what happened. lingerSeconds is used by
        /// Linger (0..65535); timeout by HalfClose. ConnectionClosed when already closed (nothing done).
        /// </summary>
        public CloseResult Close(CloseStyle style, int lingerSeconds, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            CheckCloseArguments(style, lingerSeconds, timeout);

            Socket socket;
            lock (this)
            {
                socket = LiveSocket("close");
                State = ConnectionStatus.Closed;
            }

            var result = new CloseResult
            {
                ConnectionId = Id,
                LocalAddress = LocalAddress,
                LocalPort = LocalPort,
                RemoteAddress = RemoteAddress,
                RemotePort = RemotePort,
                Style = style,
                LingerSeconds = style == CloseStyle.Linger ? lingerSeconds : (int?)null,
            };

            var clock = Stopwatch.StartNew();
            try
            {
                ConnectionClose.Run(this, socket, style, lingerSeconds, timeout, result, cancellationToken);
            }
            finally
            {
                socket.Dispose();
                TcpRegistry.Remove(this);
            }

            result.Elapsed = clock.Elapsed;
            result.ClosedAt = DateTime.UtcNow;
            ConnectionClose.ObserveLocalState(result, Namespace);
            CloseResult = result;
            return result;
        }

        /// <summary>Graceful close without a result, for clean-up (registry, Dispose). Does nothing when closed.</summary>
        public void Dispose()
        {
            Socket socket;
            lock (this)
            {
                if (State == ConnectionStatus.Closed)
                {
                    return;
                }

                State = ConnectionStatus.Closed;
                socket = Socket;
            }

            socket?.Dispose();
            TcpRegistry.Remove(this);
        }

        internal string Describe() => $"{Endpoints.Show(LocalAddress, LocalPort)} -> {Endpoints.Show(RemoteAddress, RemotePort)}";

        private Socket LiveSocket(string doing)
        {
            if (State == ConnectionStatus.Closed || Socket == null)
            {
                throw new TcpCloseException(ErrorIds.ConnectionClosed, TcpErrorCategory.InvalidOperation,
                    $"Cannot {doing} connection {Id} ({Describe()}): it is already closed{(CloseResult != null ? $" ({CloseResult.Style} close at {CloseResult.ClosedAt:HH:mm:ss} UTC)" : "")}. Open a new one with New-TcpConnection or Wait-TcpConnection.",
                    this);
            }

            return Socket;
        }

        /// <summary>Wraps a connected socket: non-blocking from now on (every wait is a bounded Poll), options read back.</summary>
        internal static Connection FromSocket(Socket socket, ConnectionRole role, int? listenerId)
        {
            socket.Blocking = false;
            var local = (IPEndPoint)socket.LocalEndPoint;
            var remote = (IPEndPoint)socket.RemoteEndPoint;
            return new Connection
            {
                Socket = socket,
                Role = role,
                ListenerId = listenerId,
                LocalAddress = Endpoints.Show(local.Address),
                LocalPort = local.Port,
                RemoteAddress = Endpoints.Show(remote.Address),
                RemotePort = remote.Port,
                ReuseAddress = SocketSetup.ReadReuseAddress(socket),
                State = ConnectionStatus.Open,
                ConnectedAt = DateTime.UtcNow,
            };
        }

        /// <summary>"Connection 3 Client 127.0.0.1:50412 -> 127.0.0.1:8080 Open": Tab completion shows it as the tooltip.</summary>
        public override string ToString() =>
            $"Connection {Id} {Role} {Endpoints.Show(LocalAddress, LocalPort)} -> {Endpoints.Show(RemoteAddress, RemotePort)} {State}";
    }
}
