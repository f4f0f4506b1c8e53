using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace TcpClose
{
    /// <summary>What Test-TcpPort asks.</summary>
    public sealed class PortTestOptions
    {
        /// <summary>An IP literal or a host name; "localhost" by default (see <see cref="PortProbe"/> for the addresses tried).</summary>
        public string RemoteAddress { get; set; } = "localhost";

        /// <summary>1..65535.</summary>
        public int RemotePort { get; set; }

        /// <summary>How long one connect attempt to one address may take.</summary>
        public TimeSpan ConnectTimeout { get; set; } = PortProbe.DefaultConnectTimeout;

        /// <summary>Linux: the network namespace to work in (null: the caller's own).</summary>
        public NetworkNamespace NetworkNamespace { get; set; }
    }

    /// <summary>
    /// Test-TcpPort: connect to a port and close at once, abortively (SO_LINGER on, linger 0), so
    /// the probe leaves no TIME_WAIT on either side; and wait, probing again, until a port answers.
    /// </summary>
    /// <remarks>
    /// Why abortive: the side that closes first gracefully keeps the connection in TIME_WAIT
    /// (60 s on Linux, 120 s by default on Windows), holding one ephemeral port toward that
    /// destination per probe; a health checker that probes often eats its own port range that way.
    /// With linger 0 close() sends RST and the 4-tuple is gone on both sides at once. The price
    /// (RFC 1337: an old duplicate could reach a new incarnation of the 4-tuple) does not apply to
    /// a probe that sent no data. A server that accepted the probe sees ECONNRESET on its next
    /// read; one that accepts later gets a connection that is already reset (measured, TCP-NOTES.md).
    /// </remarks>
    public static class PortProbe
    {
        /// <summary>The connect timeout of one attempt when none is given.</summary>
        public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

        /// <summary>The pause between two rounds of a wait: about four probes a second.</summary>
        public static readonly TimeSpan WaitInterval = TimeSpan.FromMilliseconds(250);

        /// <summary>
        /// One round: probe each address of the target in order until one connects. Errors:
        /// InvalidPort, InvalidAddress, InvalidTimeout. Refused, timed-out and unreachable probes are
        /// results, not errors. <paramref name="onProbe"/> sees each address's result as it comes.
        /// </summary>
        public static PortTestResult Test(PortTestOptions options, Action<PortTestResult> onProbe = null, CancellationToken cancellationToken = default)
        {
            IReadOnlyList<IPAddress> addresses = Prepare(options, cancellationToken);
            var clock = Stopwatch.StartNew();
            PortTestResult result = Round(options, addresses, DateTime.MaxValue, onProbe, cancellationToken);
            result.Attempts = 1;
            result.Elapsed = clock.Elapsed;
            return result;
        }

        /// <summary>
        /// Probe in rounds, <see cref="WaitInterval"/> apart, until the target connects or
        /// <paramref name="timeout"/> passes; returns the last result either way (Succeeded says
        /// which). No attempt runs past the deadline: each connect gets at most the time left.
        /// <paramref name="onAttempt"/> sees each round's result that did not connect.
        /// OperationCanceledException when the token is cancelled (Ctrl+C).
        /// </summary>
        public static PortTestResult Wait(PortTestOptions options, TimeSpan timeout, Action<PortTestResult> onAttempt = null,
            Action<PortTestResult> onProbe = null, CancellationToken cancellationToken = default)
        {
            Endpoints.CheckTimeout(timeout, "wait timeout");
            IReadOnlyList<IPAddress> addresses = Prepare(options, cancellationToken);
            var clock = Stopwatch.StartNew();
            DateTime deadline = Endpoints.Deadline(timeout);
            for (int attempt = 1; ; attempt++)
            {
                PortTestResult result = Round(options, addresses, deadline, onProbe, cancellationToken);
                result.Attempts = attempt;
                result.Elapsed = clock.Elapsed;
                TimeSpan left = deadline - DateTime.UtcNow;
                if (result.Succeeded || left <= TimeSpan.Zero)
                {
                    return result;
                }

                onAttempt?.Invoke(result);

                // Whole milliseconds, rounded up: WaitOne truncates, and a pause truncated to 0 ms
                // just before the deadline would probe in a tight loop until the clock passes it.
                int pause = (int)Math.Ceiling((left < WaitInterval ? left : WaitInterval).TotalMilliseconds);
                if (cancellationToken.WaitHandle.WaitOne(pause))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }

        /// <summary>The PortNotAnswering error of a wait that ran out, with the last result as its target.</summary>
        public static TcpCloseException NotAnswering(PortTestResult last, TimeSpan timeout)
        {
            if (last == null)
            {
                throw new ArgumentNullException(nameof(last));
            }

            string target = Endpoints.Show(last.ComputerName, last.RemotePort);
            string why = last.Result == PortTestOutcome.Refused
                ? "nothing listens there yet: check that the service started and listens on this address and port"
                : last.Result == PortTestOutcome.TimedOut
                    ? "SYNs go unanswered (a firewall that drops them, or a listener whose accept queue is full)"
                    : $"the last probe ended with {last.Error ?? last.Result.ToString()}";
            return new TcpCloseException(ErrorIds.PortNotAnswering, TcpErrorCategory.OperationTimeout,
                $"{target} did not answer within {timeout.TotalSeconds:0.###} s ({last.Attempts} attempt(s), the last {last.Result} from {Endpoints.Show(last.RemoteAddress, last.RemotePort)}): {why}. Give a longer -Timeout if the service starts slowly.",
                last);
        }

        private static IReadOnlyList<IPAddress> Prepare(PortTestOptions options, CancellationToken cancellationToken)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            if (options.RemotePort == 0)
            {
                // What a piped Listen row of Get-TcpConnection binds: its RemotePort is 0.
                throw new TcpCloseException(ErrorIds.InvalidPort, TcpErrorCategory.InvalidArgument,
                    "0 is not a valid remote port: it must be between 1 and 65535. A listening row of Get-TcpConnection has RemotePort 0; probe its local end instead: ForEach-Object { Test-TcpPort $_.LocalAddress $_.LocalPort }.",
                    options.RemotePort);
            }

            Endpoints.CheckPort(options.RemotePort, "remote port", allowZero: false);
            Endpoints.CheckTimeout(options.ConnectTimeout, "connect timeout");
            return Endpoints.ResolveAll(options.RemoteAddress, cancellationToken);
        }

        // Each address in order until one connects; if none does, the first address's result (the
        // resolver's first choice, e.g. 127.0.0.1 Refused rather than ::1 Unreachable on a host
        // without IPv6).
        private static PortTestResult Round(PortTestOptions options, IReadOnlyList<IPAddress> addresses, DateTime deadline,
            Action<PortTestResult> onProbe, CancellationToken cancellationToken)
        {
            PortTestResult first = null;
            for (int i = 0; i < addresses.Count; i++)
            {
                TimeSpan timeout = options.ConnectTimeout;
                if (deadline != DateTime.MaxValue)
                {
                    TimeSpan left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero && i > 0)
                    {
                        break;
                    }

                    // At least a millisecond, so a round that starts at the deadline still probes once.
                    timeout = left < timeout ? (left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1)) : timeout;
                }

                PortTestResult result = Probe(options.RemoteAddress, addresses[i], options.RemotePort, timeout, cancellationToken, options.NetworkNamespace);
                onProbe?.Invoke(result);
                if (result.Succeeded)
                {
                    return result;
                }

                first = first ?? result;
            }

            return first;
        }

        /// <summary>
        /// One connect to one address, then an abortive close whatever happened. Never throws for a
        /// port that does not answer; OperationCanceledException on cancel (the socket is closed).
        /// </summary>
        internal static PortTestResult Probe(string computerName, IPAddress address, int port, TimeSpan timeout, CancellationToken cancellationToken,
            NetworkNamespace ns = null)
        {
            var result = new PortTestResult
            {
                NetworkNamespace = NetworkNamespace.Tag(ns),
                ComputerName = computerName,
                RemoteAddress = Endpoints.Show(address),
                RemotePort = port,
                Attempts = 1,
            };

            var clock = Stopwatch.StartNew();
            using (Socket socket = SocketSetup.Create(address.AddressFamily, new SocketRequest { Namespace = ns }))
            {
                // Set before connect, so every way out of here closes abortively: even a connect that
                // completes after the deadline leaves no TIME_WAIT. Closing a socket still in
                // SYN_SENT sends nothing.
                socket.LingerState = new LingerOption(true, 0);
                socket.Blocking = false;
                SocketError error = Connect(socket, new IPEndPoint(address, port), Endpoints.Deadline(timeout), cancellationToken);
                result.Elapsed = clock.Elapsed;
                result.Result = Outcome(error);
                if (error != SocketError.Success && error != SocketError.TimedOut)
                {
                    result.Error = error.ToString();
                    result.NativeErrorCode = NativeCode(error);
                }

                ReadLocalEnd(socket, result);
            }

            return result;
        }

        // A non-blocking connect and a bounded Poll in 200 ms slices (Ctrl+C is seen promptly).
        // Returns TimedOut when the deadline passes first.
        private static SocketError Connect(Socket socket, IPEndPoint remote, DateTime deadline, CancellationToken cancellationToken)
        {
            try
            {
                socket.Connect(remote);
                return SocketError.Success;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock || ex.SocketErrorCode == SocketError.InProgress)
            {
            }
            catch (SocketException ex)
            {
                return ex.SocketErrorCode;
            }

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Writable means connected; a failure shows as writable (Unix) or in SelectError (Windows).
                if (socket.Poll(Math.Min(Endpoints.PollMicroseconds(deadline), 200_000), SelectMode.SelectWrite)
                    || socket.Poll(0, SelectMode.SelectError))
                {
                    int code = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error);
                    return code == 0 ? SocketError.Success : new SocketException(code).SocketErrorCode;
                }

                if (DateTime.UtcNow >= deadline)
                {
                    return SocketError.TimedOut;
                }
            }
        }

        private static PortTestOutcome Outcome(SocketError error)
        {
            switch (error)
            {
                case SocketError.Success:
                    return PortTestOutcome.Connected;
                case SocketError.ConnectionRefused:
                    return PortTestOutcome.Refused;
                case SocketError.TimedOut:
                    return PortTestOutcome.TimedOut;
                case SocketError.HostUnreachable:
                case SocketError.NetworkUnreachable:
                case SocketError.HostDown:
                case SocketError.NetworkDown:
                    return PortTestOutcome.Unreachable;
                case SocketError.AddressNotAvailable:
                    return PortTestOutcome.AddressNotAvailable;
                default:
                    return PortTestOutcome.Failed;
            }
        }

        // The OS's own number (errno on Unix, WSA code on Windows), as SocketException reports it.
        private static int NativeCode(SocketError error) => new SocketException((int)error).NativeErrorCode;

        private static void ReadLocalEnd(Socket socket, PortTestResult result)
        {
            try
            {
                if (socket.LocalEndPoint is IPEndPoint local && local.Port != 0)
                {
                    result.LocalAddress = Endpoints.Show(local.Address);
                    result.LocalPort = local.Port;
                }
            }
            catch (SocketException)
            {
                // A socket whose connect failed early may have no local end to report.
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
