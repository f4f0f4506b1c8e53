using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace TcpClose.Tests
{
    /// <summary>Loopback sockets for table tests, made with plain System.Net.Sockets.</summary>
    internal sealed class LoopbackSockets : IDisposable
    {
        readonly List<Socket> _sockets = new List<Socket>();

        internal Socket Listen(IPAddress address)
        {
            var l = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(l);
            l.Bind(new IPEndPoint(address, 0));
            l.Listen(16);
            return l;
        }

        /// <summary>A connected pair: (client, server).</summary>
        internal (Socket Client, Socket Server) Connect(Socket listener)
        {
            var ep = (IPEndPoint)listener.LocalEndPoint;
            var c = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(c);
            c.Connect(ep);
            var s = listener.Accept();
            _sockets.Add(s);
            return (c, s);
        }

        /// <summary>Client closes first, then the server: the client's 4-tuple goes to TIME_WAIT. Returns the client's local endpoint.</summary>
        internal IPEndPoint MakeTimeWait(Socket listener)
        {
            var (c, s) = Connect(listener);
            var local = (IPEndPoint)c.LocalEndPoint;
            c.Close();
            // Wait for the server to see the FIN (EOF) before it closes, so the client is the active closer.
            s.ReceiveTimeout = 5000;
            var buf = new byte[16];
            s.Receive(buf);
            s.Close();
            return local;
        }

        public void Dispose()
        {
            foreach (var s in _sockets)
                s.Dispose();
        }
    }

    internal static class Poll
    {
        /// <summary>Re-evaluates until the condition holds or the deadline passes; returns the last value.</summary>
        internal static T Until<T>(Func<T> read, Func<T, bool> ok, TimeSpan deadline)
        {
            var sw = Stopwatch.StartNew();
            T v = read();
            while (!ok(v) && sw.Elapsed < deadline)
            {
                Thread.Sleep(20);
                v = read();
            }
            return v;
        }
    }
}
