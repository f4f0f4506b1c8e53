using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace TcpClose
{
    /// <summary>
    /// The listeners and connections this process opened, by id. Keeps them alive between pipeline
    /// statements; <see cref="CloseAll"/> runs when the module is removed or the process exits.
    /// </summary>
    public static class TcpRegistry
    {
        private static readonly ConcurrentDictionary<int, Listener> ListenerTable = new ConcurrentDictionary<int, Listener>();
        private static readonly ConcurrentDictionary<int, Connection> ConnectionTable = new ConcurrentDictionary<int, Connection>();
        private static int lastListenerId;
        private static int lastConnectionId;

        static TcpRegistry()
        {
            AppDomain.CurrentDomain.ProcessExit += (sender, e) => CloseAll();
        }

        /// <summary>Running listeners, by id.</summary>
        public static IReadOnlyList<Listener> Listeners => ListenerTable.Values.OrderBy(l => l.Id).ToList();

        /// <summary>Open connections, by id.</summary>
        public static IReadOnlyList<Connection> Connections => ConnectionTable.Values.OrderBy(c => c.Id).ToList();

        /// <summary>Null when no running listener has that id.</summary>
        public static Listener FindListener(int id) => ListenerTable.TryGetValue(id, out Listener l) ? l : null;

        /// <summary>Null when no open connection has that id.</summary>
        public static Connection FindConnection(int id) => ConnectionTable.TryGetValue(id, out Connection c) ? c : null;

        /// <summary>Stop every listener and close every open connection (graceful close). Safe to call twice.</summary>
        public static void CloseAll()
        {
            foreach (Connection connection in ConnectionTable.Values.ToList())
            {
                connection.Dispose();
            }

            foreach (Listener listener in ListenerTable.Values.ToList())
            {
                listener.Stop();
            }
        }

        internal static Listener Add(Listener listener)
        {
            listener.Id = Interlocked.Increment(ref lastListenerId);
            ListenerTable[listener.Id] = listener;
            return listener;
        }

        internal static Connection Add(Connection connection)
        {
            connection.Id = Interlocked.Increment(ref lastConnectionId);
            ConnectionTable[connection.Id] = connection;
            return connection;
        }

        internal static void Remove(Listener listener) => ListenerTable.TryRemove(listener.Id, out _);

        internal static void Remove(Connection connection) => ConnectionTable.TryRemove(connection.Id, out _);
    }
}
