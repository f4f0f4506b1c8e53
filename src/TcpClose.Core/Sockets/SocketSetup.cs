using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>The options a TCP socket is created with, before bind.</summary>
    internal sealed class SocketRequest
    {
        public bool ReuseAddress;
        public bool ReusePort;
        public bool ExclusiveAddressUse;
        public bool DualMode;
        /// <summary>Where the socket is made (null: here); it stays there whatever thread uses it.</summary>
        public NetworkNamespace Namespace;
    }

    /// <summary>Creating TCP sockets with exactly the options asked for, and reading them back.</summary>
    internal static class SocketSetup
    {
        public static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>Checks the options against the OS and each other before any socket exists.</summary>
        public static void Check(SocketRequest request, IPAddress address)
        {
            if (request.ExclusiveAddressUse && !IsWindows)
            {
                throw new TcpCloseException(ErrorIds.PlatformNotSupported, TcpErrorCategory.NotImplemented,
                    "-ExclusiveAddressUse (SO_EXCLUSIVEADDRUSE) exists only on Windows. On Linux and macOS a bind already refuses a port in use unless both sockets set SO_REUSEADDR.",
                    "ExclusiveAddressUse");
            }

            if (request.ReusePort && IsWindows)
            {
                throw new TcpCloseException(ErrorIds.PlatformNotSupported, TcpErrorCategory.NotImplemented,
                    "-ReusePort (SO_REUSEPORT) exists only on Linux, macOS and the BSDs, not on Windows.", "ReusePort");
            }

            if (request.ExclusiveAddressUse && request.ReuseAddress)
            {
                throw new TcpCloseException(ErrorIds.ConflictingOptions, TcpErrorCategory.InvalidArgument,
                    "-ReuseAddress and -ExclusiveAddressUse contradict each other: choose one (Windows recommends -ExclusiveAddressUse for servers).",
                    "ReuseAddress,ExclusiveAddressUse");
            }

            if (request.DualMode && address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw new TcpCloseException(ErrorIds.ConflictingOptions, TcpErrorCategory.InvalidArgument,
                    $"-DualMode needs an IPv6 address (such as :: or ::1), not {Endpoints.Show(address)}.", Endpoints.Show(address));
            }
        }

        /// <summary>
        /// A new TCP socket with the requested options set and nothing else. On failure the socket is
        /// closed before the exception leaves.
        /// </summary>
        /// <remarks>
        /// ProtocolType.Unspecified, not Tcp: for a Tcp socket .NET's Bind on Unix sets SO_REUSEADDR=1
        /// whatever was asked (SystemNative_Bind, pal_networking.c), so a listener "without
        /// -ReuseAddress" would silently have it and never show the restart failure. With 0 the kernel
        /// still picks TCP for SOCK_STREAM and the real OS rule applies (measured, TCP-NOTES.md).
        /// </remarks>
        public static Socket Create(AddressFamily family, SocketRequest request)
        {
            var socket = NetworkNamespace.RunIn(request.Namespace, () => new Socket(family, SocketType.Stream, ProtocolType.Unspecified));
            try
            {
                if (family == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = request.DualMode;
                }

                if (IsWindows)
                {
                    if (request.ExclusiveAddressUse)
                    {
                        WindowsSocketOptions.SetExclusiveAddressUse(socket, true);
                    }

                    if (request.ReuseAddress)
                    {
                        WindowsSocketOptions.SetReuseAddress(socket, true);
                    }
                }
                else
                {
                    UnixSocketOptions.SetReuseAddress(socket, request.ReuseAddress);
                    if (request.ReusePort)
                    {
                        UnixSocketOptions.SetReusePort(socket, true);
                    }
                }

                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public static bool ReadReuseAddress(Socket socket) =>
            IsWindows ? WindowsSocketOptions.GetReuseAddress(socket) : UnixSocketOptions.GetReuseAddress(socket);

        public static bool ReadReusePort(Socket socket) => !IsWindows && UnixSocketOptions.GetReusePort(socket);

        public static bool ReadExclusiveAddressUse(Socket socket) => IsWindows && WindowsSocketOptions.GetExclusiveAddressUse(socket);

        public static bool ReadDualMode(Socket socket) => socket.AddressFamily == AddressFamily.InterNetworkV6 && socket.DualMode;

        /// <summary>Turns a socket failure into the module's error, with the endpoint as target and the exception inside.</summary>
        public static TcpCloseException Map(SocketException ex, string endpoint, string doing)
        {
            switch (ex.SocketErrorCode)
            {
                case SocketError.AddressAlreadyInUse:
                    return new TcpCloseException(ErrorIds.AddressInUse, TcpErrorCategory.ResourceUnavailable,
                        $"Cannot {doing} {endpoint}: the address is already in use.", endpoint, ex);
                case SocketError.AddressNotAvailable:
                    return new TcpCloseException(ErrorIds.AddressNotAvailable, TcpErrorCategory.InvalidArgument,
                        $"Cannot {doing} {endpoint}: that address does not belong to this machine. Use 127.0.0.1, ::1, 0.0.0.0, :: or an address of a local interface.",
                        endpoint, ex);
                case SocketError.AccessDenied:
                    return new TcpCloseException(ErrorIds.PermissionDenied, TcpErrorCategory.PermissionDenied,
                        $"Cannot {doing} {endpoint}: permission denied. Ports below 1024 need root or CAP_NET_BIND_SERVICE on Linux (see net.ipv4.ip_unprivileged_port_start), and elevation on older Windows.",
                        endpoint, ex);
                case SocketError.ConnectionRefused:
                    return new TcpCloseException(ErrorIds.ConnectionRefused, TcpErrorCategory.ConnectionError,
                        $"Cannot {doing} {endpoint}: the connection was refused (nothing listens there, or a firewall answered with RST).",
                        endpoint, ex);
                case SocketError.TimedOut:
                    return new TcpCloseException(ErrorIds.ConnectTimeout, TcpErrorCategory.OperationTimeout,
                        $"Cannot {doing} {endpoint}: the OS timed out.", endpoint, ex);
                case SocketError.ConnectionReset:
                case SocketError.Shutdown:
                    // EPIPE (Shutdown) on a send: the peer's RST already closed the socket.
                    return new TcpCloseException(ErrorIds.ConnectionReset, TcpErrorCategory.ConnectionError,
                        $"Cannot {doing} {endpoint}: the peer reset the connection. Close it (Close-TcpConnection) and open a new one.", endpoint, ex);
                case SocketError.ConnectionAborted:
                    // ECONNABORTED on Linux: the socket was destroyed on this side (SOCK_DESTROY, as
                    // Remove-TcpConnection and ss -K do); the peer got RST.
                    return new TcpCloseException(ErrorIds.ConnectionAborted, TcpErrorCategory.ConnectionError,
                        $"Cannot {doing} {endpoint}: the connection was aborted on this side (the OS, or Remove-TcpConnection or ss -K in another session, destroyed it; the peer got a reset). Close it (Close-TcpConnection) and open a new one.",
                        endpoint, ex);
                default:
                    return new TcpCloseException(ErrorIds.SocketError, TcpErrorCategory.ConnectionError,
                        $"Cannot {doing} {endpoint}: {ex.SocketErrorCode} ({ex.Message}).", endpoint, ex);
            }
        }
    }
}
