using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace TcpClose
{
    /// <summary>Checking and showing addresses, ports and timeouts the way every cmdlet does.</summary>
    internal static class Endpoints
    {
        /// <summary>An IP literal or "localhost" (127.0.0.1); InvalidAddress names the bad value otherwise.</summary>
        public static IPAddress ParseLocal(string text, string what)
        {
            string trimmed = Unbracket(text);
            if (string.Equals(trimmed, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                return IPAddress.Loopback;
            }

            if (trimmed != null && IPAddress.TryParse(trimmed, out IPAddress address) && IsLiteral(trimmed))
            {
                return address;
            }

            throw new TcpCloseException(ErrorIds.InvalidAddress, TcpErrorCategory.InvalidArgument,
                $"'{text}' is not a valid {what}: give an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0, ::1 or ::, or 'localhost'.",
                text);
        }

        /// <summary>An IP literal, or a host name resolved through DNS (first address).</summary>
        public static IPAddress ParseRemote(string text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new TcpCloseException(ErrorIds.InvalidAddress, TcpErrorCategory.InvalidArgument,
                    "The remote address is empty: give an IP address such as 127.0.0.1 or ::1, or a host name.", text);
            }

            string trimmed = Unbracket(text);
            if (IPAddress.TryParse(trimmed, out IPAddress literal) && IsLiteral(trimmed))
            {
                return literal;
            }

            if (string.Equals(trimmed, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                return IPAddress.Loopback;
            }

            try
            {
                IPAddress[] found = Dns.GetHostAddresses(trimmed);
                if (found.Length > 0)
                {
                    return found[0];
                }
            }
            catch (SocketException)
            {
                // Reported below with the name.
            }
            catch (ArgumentException)
            {
                // Not a syntactically valid host name.
            }

            throw new TcpCloseException(ErrorIds.InvalidAddress, TcpErrorCategory.InvalidArgument,
                $"'{text}' is neither an IP address nor a host name that resolves.", text);
        }

        // "[::1]" as written in URLs and in this module's own endpoint text; IPAddress.Parse refuses the brackets.
        private static string Unbracket(string text)
        {
            string t = text?.Trim();
            return t != null && t.Length > 2 && t[0] == '[' && t[t.Length - 1] == ']' ? t.Substring(1, t.Length - 2) : t;
        }

        // IPAddress.TryParse accepts "1" or "127.1" as IPv4 (inet_aton forms); a user who typed that
        // almost surely meant something else, so only dotted quads and IPv6 literals count.
        private static bool IsLiteral(string text) =>
            text.IndexOf(':') >= 0 || text.Split('.').Length == 4;

        public static void CheckPort(int port, string what, bool allowZero)
        {
            int min = allowZero ? 0 : 1;
            if (port < min || port > 65535)
            {
                throw new TcpCloseException(ErrorIds.InvalidPort, TcpErrorCategory.InvalidArgument,
                    $"{port} is not a valid {what}: it must be between {min} and 65535{(allowZero ? " (0 lets the OS pick a free port)" : "")}.",
                    port);
            }
        }

        public static void CheckTimeout(TimeSpan timeout, string what)
        {
            if (timeout <= TimeSpan.Zero)
            {
                throw new TcpCloseException(ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument,
                    $"{timeout.TotalSeconds} s is not a valid {what}: it must be more than 0 seconds.", timeout);
            }
        }

        /// <summary>Canonical text: IPv4-mapped IPv6 shown as IPv4, IPv6 without scope where it is zero.</summary>
        public static string Show(IPAddress address)
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            return address.ToString();
        }

        public static string Show(IPAddress address, int port) =>
            address.AddressFamily == AddressFamily.InterNetworkV6 && !address.IsIPv4MappedToIPv6
                ? $"[{Show(address)}]:{port}"
                : $"{Show(address)}:{port}";

        public static string Show(string address, int port) =>
            address != null && address.IndexOf(':') >= 0 ? $"[{address}]:{port}" : $"{address}:{port}";

        /// <summary>Waits at most the time left until the deadline, in Socket.Poll's microseconds (bounded to int).</summary>
        public static int PollMicroseconds(DateTime deadlineUtc)
        {
            double left = (deadlineUtc - DateTime.UtcNow).TotalMilliseconds * 1000.0;
            if (left <= 0)
            {
                return 0;
            }

            return left > 1_000_000_000 ? 1_000_000_000 : (int)left;
        }

        /// <summary>
        /// Waits until the socket is ready for <paramref name="mode"/> (true), the deadline passes
        /// (false), or the token is cancelled (OperationCanceledException: Ctrl+C in PowerShell).
        /// Polls in slices of at most 200 ms so cancellation is noticed promptly.
        /// </summary>
        public static bool WaitReady(Socket socket, SelectMode mode, DateTime deadlineUtc, CancellationToken cancellationToken)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int slice = Math.Min(PollMicroseconds(deadlineUtc), 200_000);
                if (socket.Poll(slice, mode))
                {
                    return true;
                }

                if (DateTime.UtcNow >= deadlineUtc)
                {
                    return false;
                }
            }
        }

        public static DateTime Deadline(TimeSpan timeout)
        {
            DateTime now = DateTime.UtcNow;
            return timeout >= DateTime.MaxValue - now ? DateTime.MaxValue : now + timeout;
        }
    }
}
