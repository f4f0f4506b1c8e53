using System;
using System.Collections.Generic;
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

        /// <summary>
        /// Every address a probe should try for <paramref name="text"/>, in order: an IP literal is
        /// itself (a wildcard, 0.0.0.0 or ::, means this host and becomes 127.0.0.1 or ::1);
        /// "localhost" is what the OS resolver returns for it, then whichever of 127.0.0.1 and ::1
        /// it left out (hosts files often lack ::1); any other name is every IPv4 and IPv6 address
        /// the resolver returns, in its order. InvalidAddress for an empty or unresolvable name;
        /// OperationCanceledException when the token is cancelled while the resolver works.
        /// </summary>
        public static IReadOnlyList<IPAddress> ResolveAll(string text, CancellationToken cancellationToken)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new TcpCloseException(ErrorIds.InvalidAddress, TcpErrorCategory.InvalidArgument,
                    "The remote address is empty: give an IP address such as 127.0.0.1 or ::1, or a host name such as localhost.", text);
            }

            string trimmed = Unbracket(text);
            if (IPAddress.TryParse(trimmed, out IPAddress literal) && IsLiteral(trimmed))
            {
                if (literal.Equals(IPAddress.Any))
                {
                    return new[] { IPAddress.Loopback };
                }

                return new[] { literal.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : literal };
            }

            bool isLocalhost = string.Equals(trimmed, "localhost", StringComparison.OrdinalIgnoreCase);
            IPAddress[] found = null;
            try
            {
                // The async form so Ctrl+C is not held up by a slow resolver (the lookup itself
                // finishes in the background; getaddrinfo cannot be interrupted).
                var lookup = Dns.GetHostAddressesAsync(trimmed);
                lookup.Wait(cancellationToken);
                found = lookup.Result;
            }
            catch (AggregateException ex) when (ex.InnerException is SocketException || ex.InnerException is ArgumentException)
            {
                // Reported below with the name (or, for localhost, replaced by the loopbacks).
            }
            catch (ArgumentException)
            {
                // Not a syntactically valid host name.
            }

            var addresses = new List<IPAddress>();
            foreach (IPAddress a in found ?? new IPAddress[0])
            {
                IPAddress address = a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
                bool usable = address.AddressFamily == AddressFamily.InterNetwork || address.AddressFamily == AddressFamily.InterNetworkV6;
                if (usable && (!isLocalhost || IPAddress.IsLoopback(address)) && !addresses.Contains(address))
                {
                    addresses.Add(address);
                }
            }

            if (isLocalhost)
            {
                foreach (IPAddress loopback in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
                {
                    if (!addresses.Contains(loopback))
                    {
                        addresses.Add(loopback);
                    }
                }
            }

            if (addresses.Count == 0)
            {
                throw new TcpCloseException(ErrorIds.InvalidAddress, TcpErrorCategory.InvalidArgument,
                    $"'{text}' is neither an IP address nor a host name that resolves to an IPv4 or IPv6 address.", text);
            }

            return addresses;
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
