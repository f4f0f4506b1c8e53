using System;
using System.Diagnostics;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>The four close styles of UNP section 7.5, each done with the exact socket calls, and what they left.</summary>
    internal static class ConnectionClose
    {
        // Close with linger blocks until data and FIN are ACKed or the time runs out, and on Linux
        // returns success either way (measured: TCP-NOTES.md). So "ran out" can only be read from
        // the clock; the margin absorbs timer granularity.
        private static readonly TimeSpan LingerMargin = TimeSpan.FromMilliseconds(100);

        private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(500);

        public static void Run(Connection connection, Socket socket, CloseStyle style, int lingerSeconds, TimeSpan timeout, CloseResult result, CancellationToken cancellationToken)
        {
            result.UnsentBytes = SafeUnsent(socket);
            switch (style)
            {
                case CloseStyle.Graceful:
                    // SO_LINGER off (the default, set again in case): FIN after queued data, close returns at once.
                    SetLinger(socket, false, 0);
                    socket.Dispose();
                    break;

                case CloseStyle.Linger:
                    SetLinger(socket, true, lingerSeconds);

                    // BSD/Darwin do not linger on a non-blocking socket; make the wait explicit everywhere.
                    socket.Blocking = true;
                    var clock = Stopwatch.StartNew();
                    LingeringClose(socket, cancellationToken);
                    result.LingerTimedOut = lingerSeconds > 0 && clock.Elapsed >= TimeSpan.FromSeconds(lingerSeconds) - LingerMargin;
                    break;

                case CloseStyle.Abort:
                    // l_onoff = 1, l_linger = 0: RST, queued data discarded, no TIME_WAIT on this side.
                    SetLinger(socket, true, 0);
                    socket.Dispose();
                    break;

                case CloseStyle.HalfClose:
                    HalfClose(connection, socket, timeout, result, cancellationToken);
                    break;

                default:
                    throw new ArgumentOutOfRangeException(nameof(style), style, "Unknown close style.");
            }
        }

        /// <summary>
        /// close() with SO_LINGER set, which blocks in the kernel up to the linger time; a stop
        /// (Ctrl+C) ends the wait at once.
        /// </summary>
        /// <remarks>
        /// A blocking close() cannot be cancelled, so it runs on a thread of its own and this waits
        /// for it or for the token. On a stop the close goes on without us: Linux takes the
        /// descriptor out of the process's table before it lingers (close_fd, then the final fput),
        /// so the process holds no socket any more, and the kernel finishes the close or gives up
        /// when the linger time runs out, as it would have for the caller.
        /// </remarks>
        private static void LingeringClose(Socket socket, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled)
            {
                socket.Dispose();
                return;
            }

            // Not disposed when the wait is cancelled: the closer thread still sets it later.
            var closed = new ManualResetEventSlim(false);
            var closer = new Thread(() =>
            {
                try
                {
                    socket.Dispose();
                }
                finally
                {
                    closed.Set();
                }
            })
            {
                IsBackground = true,
                Name = "TcpClose lingering close",
            };
            closer.Start();
            closed.Wait(cancellationToken);
            closed.Dispose();
        }

        private static void HalfClose(Connection connection, Socket socket, TimeSpan timeout, CloseResult result, CancellationToken cancellationToken)
        {
            // shutdown(SHUT_WR) sends our FIN; the peer's application sees EOF and, if it is well
            // behaved, finishes and closes its side. Its FIN (read returns 0) is the only close that
            // proves the peer application is done.
            try
            {
                socket.Shutdown(SocketShutdown.Send);
                connection.SendShutdown = true;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset || ex.SocketErrorCode == SocketError.NotConnected)
            {
                result.PeerReset = true;
                socket.Dispose();
                return;
            }

            // Drain: a socket closed with unread received data sends RST instead of FIN (RFC 2525),
            // so everything that arrives is read and counted until the peer's FIN or the deadline.
            DateTime deadline = Endpoints.Deadline(timeout);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                bool ready;
                try
                {
                    ready = Endpoints.WaitReady(socket, SelectMode.SelectRead, deadline, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Stopped by the user: the FIN is out and the close still happens (in Close's finally).
                    result.TimedOut = true;
                    throw;
                }

                if (!ready)
                {
                    result.TimedOut = true;
                    break;
                }

                int n = socket.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    continue;
                }

                if (error != SocketError.Success)
                {
                    result.PeerReset = error == SocketError.ConnectionReset;
                    break;
                }

                if (n == 0)
                {
                    result.PeerFinSeen = true;
                    connection.PeerFinSeen = true;
                    break;
                }

                result.BytesDrained += n;
                connection.BytesReceived += n;
            }

            socket.Dispose();
        }

        // Darwin refuses setsockopt(SO_LINGER) with EINVAL on a socket the peer has already reset;
        // there is nothing left to send then, and the close itself must still happen.
        private static void SetLinger(Socket socket, bool on, int seconds)
        {
            try
            {
                socket.LingerState = new LingerOption(on, seconds);
            }
            catch (SocketException)
            {
            }
        }

        private static long? SafeUnsent(Socket socket)
        {
            try
            {
                return SocketSetup.IsWindows ? (long?)null : UnixSocketOptions.GetUnsentBytes(socket);
            }
            catch (Exception ex) when (ex is SocketException || ex is DllNotFoundException || ex is EntryPointNotFoundException)
            {
                return null;
            }
        }

        /// <summary>
        /// Reads the state the OS table shows for the connection's local end, letting the loopback
        /// transients (FIN_WAIT1, CLOSING, LAST_ACK) settle for a moment. No row means null.
        /// </summary>
        public static void ObserveLocalState(CloseResult result, NetworkNamespace ns = null)
        {
            result.NetworkNamespace = NetworkNamespace.Tag(ns);
            var filter = new TcpTableFilter
            {
                NetworkNamespace = ns,
                LocalPorts = new[] { result.LocalPort },
                RemotePorts = new[] { result.RemotePort },
                LocalAddresses = new[] { result.LocalAddress },
                RemoteAddresses = new[] { result.RemoteAddress },
            };

            DateTime deadline = DateTime.UtcNow + SettleTime;
            try
            {
                while (true)
                {
                    TcpTableEntry row = TcpTable.Read(filter).FirstOrDefault();
                    result.LocalStateObserved = true;
                    result.LocalStateAfter = row?.State;
                    bool transient = row != null && (row.State == TcpState.FinWait1 || row.State == TcpState.Closing || row.State == TcpState.LastAck);
                    if (!transient || DateTime.UtcNow >= deadline)
                    {
                        return;
                    }

                    Thread.Sleep(10);
                }
            }
            catch (Exception ex) when (!(ex is OutOfMemoryException))
            {
                // The close itself succeeded; only the observation failed, and the result says so.
                result.LocalStateObserved = false;
                result.LocalStateAfter = null;
            }
        }
    }
}
