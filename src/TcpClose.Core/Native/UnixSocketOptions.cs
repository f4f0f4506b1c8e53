using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>
    /// Socket options set with libc's setsockopt/getsockopt on Linux, macOS and the BSDs, because the
    /// .NET names do something else there (TCP-NOTES.md, "Traps in the .NET socket layer").
    /// Each member is one OS call.
    /// </summary>
    internal static class UnixSocketOptions
    {
        private static readonly bool IsLinux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

        // include/uapi/asm-generic/socket.h (Linux) and sys/socket.h (Darwin, FreeBSD).
        private static int SolSocket => IsLinux ? 1 : 0xffff;
        private static int SoReuseAddr => IsLinux ? 2 : 0x0004;
        private static int SoReusePort => IsLinux ? 15 : 0x0200;

        // Linux include/uapi/asm-generic/ioctls.h: SIOCOUTQ == TIOCOUTQ.
        private const uint SiocOutQ = 0x5411;

        [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
        private static extern int SetSockOpt(int fd, int level, int name, ref int value, uint length);

        [DllImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
        private static extern int GetSockOpt(int fd, int level, int name, out int value, ref uint length);

        [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        private static extern int Ioctl(int fd, UIntPtr request, out int value);

        /// <summary>SO_REUSEADDR alone.</summary>
        /// <remarks>
        /// SocketOptionName.ReuseAddress would also set SO_REUSEPORT on Unix (and its getter reads
        /// SO_REUSEPORT), which lets two live listeners share a port on Linux: not what is asked.
        /// </remarks>
        public static void SetReuseAddress(Socket socket, bool on) => Set(socket, SoReuseAddr, on);

        public static bool GetReuseAddress(Socket socket) => Get(socket, SoReuseAddr);

        /// <summary>SO_REUSEPORT alone (Linux 3.9+, macOS, BSD): live listeners share the port.</summary>
        public static void SetReusePort(Socket socket, bool on) => Set(socket, SoReusePort, on);

        public static bool GetReusePort(Socket socket) => Get(socket, SoReusePort);

        /// <summary>Bytes in the send queue not yet acknowledged by the peer (Linux SIOCOUTQ); null elsewhere or on failure.</summary>
        public static long? GetUnsentBytes(Socket socket)
        {
            if (!IsLinux)
            {
                return null;
            }

            return Ioctl(Fd(socket), new UIntPtr(SiocOutQ), out int value) == 0 ? value : (long?)null;
        }

        private static void Set(Socket socket, int name, bool on)
        {
            int value = on ? 1 : 0;
            if (SetSockOpt(Fd(socket), SolSocket, name, ref value, sizeof(int)) != 0)
            {
                throw new SocketException(Marshal.GetLastWin32Error());
            }
        }

        private static bool Get(Socket socket, int name)
        {
            uint length = sizeof(int);
            if (GetSockOpt(Fd(socket), SolSocket, name, out int value, ref length) != 0)
            {
                throw new SocketException(Marshal.GetLastWin32Error());
            }

            return value != 0;
        }

        private static int Fd(Socket socket) => (int)socket.Handle;
    }
}
