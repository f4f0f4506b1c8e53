using System;
using System.Collections.Generic;

namespace TcpClose
{
    /// <summary>
    /// The listeners and connections this process opened, by id. Keeps them alive between pipeline
    /// statements; <see cref="CloseAll"/> runs when the module is removed or the process exits.
    /// </summary>
    public static class TcpRegistry
    {
        public static IReadOnlyList<Listener> Listeners => throw new NotImplementedException();
        public static IReadOnlyList<Connection> Connections => throw new NotImplementedException();
        /// <summary>Null when no listener has that id.</summary>
        public static Listener FindListener(int id) => throw new NotImplementedException();
        public static Connection FindConnection(int id) => throw new NotImplementedException();
        /// <summary>Stop every listener and abort every open connection. Safe to call twice.</summary>
        public static void CloseAll() => throw new NotImplementedException();
    }

    /// <summary>Opening listeners and connections.</summary>
    public static class TcpSockets
    {
        /// <summary>
        /// Bind and listen with exactly the options asked for. Errors: InvalidPort, InvalidAddress,
        /// InvalidBacklog, ConflictingOptions, PlatformNotSupported, AddressInUse (message names what
        /// holds the port), AddressNotAvailable, PermissionDenied. Nothing is left open on failure.
        /// </summary>
        public static Listener StartListener(ListenerOptions options) => throw new NotImplementedException();

        /// <summary>
        /// Connect. Errors: InvalidPort, InvalidAddress, InvalidTimeout, ConnectionRefused,
        /// ConnectTimeout, AddressInUse (local bind). Nothing is left open on failure.
        /// </summary>
        public static Connection Connect(ConnectOptions options) => throw new NotImplementedException();
    }
}
