using System.Net.Sockets;

namespace TcpClose.Native
{
    /// <summary>
    /// Socket options on Windows, where the .NET names map one-to-one onto Winsock's: SO_REUSEADDR
    /// and SO_EXCLUSIVEADDRUSE. Each member is one OS call.
    /// </summary>
    internal static class WindowsSocketOptions
    {
        /// <summary>SO_REUSEADDR.</summary>
        /// <remarks>
        /// On Windows this lets a socket take over a port in active use by another socket: it is the
        /// dangerous option there. Bind does not check TIME_WAIT at all by default, so it is not needed
        /// for a restart. SO_EXCLUSIVEADDRUSE is the recommended server setting.
        /// </remarks>
        public static void SetReuseAddress(Socket socket, bool on) =>
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, on);

        public static bool GetReuseAddress(Socket socket) =>
            (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress) != 0;

        /// <summary>SO_EXCLUSIVEADDRUSE: no other socket may bind the port, even with SO_REUSEADDR.</summary>
        /// <remarks>
        /// A closed listener that had accepted connections cannot be rebound while those connections
        /// are not yet inactive (learn.microsoft.com, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE").
        /// </remarks>
        public static void SetExclusiveAddressUse(Socket socket, bool on) => socket.ExclusiveAddressUse = on;

        public static bool GetExclusiveAddressUse(Socket socket) => socket.ExclusiveAddressUse;
    }
}
