using System.Net.Sockets;
using Xunit;

namespace TcpClose.Tests
{
    public sealed class ListenerTests
    {
        [LinuxFact]
        public void WithoutReuseAddressTheSocketHasNeitherReuseOption()
        {
            using Listener listener = Loopback.Listen();
            Assert.False(listener.ReuseAddress);
            Assert.False(listener.ReusePort);

            // Read with .NET's own raw getsockopt, not the module's P/Invoke: .NET would have forced
            // SO_REUSEADDR=1 on a ProtocolType.Tcp socket at bind.
            Assert.False(Loopback.RawSocketFlag(listener.Socket, Loopback.SoReuseAddr));
            Assert.False(Loopback.RawSocketFlag(listener.Socket, Loopback.SoReusePort));
        }

        [LinuxFact]
        public void ThePlainDotNetTcpSocketWouldLieAboutReuseAddress()
        {
            // Why the module does not use ProtocolType.Tcp: .NET sets SO_REUSEADDR=1 at bind on Unix
            // (and ReuseAddress=false cannot undo it), so the restart failure would never show. If
            // this ever fails, .NET changed and TCP-NOTES.md trap 1 needs a new measurement.
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
            socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            Assert.True(Loopback.RawSocketFlag(socket, Loopback.SoReuseAddr));
        }

        [LinuxFact]
        public void WithReuseAddressTheSocketHasSoReuseAddrAlone()
        {
            using Listener listener = Loopback.Listen(reuseAddress: true);
            Assert.True(listener.ReuseAddress);
            Assert.False(listener.ReusePort);
            Assert.True(Loopback.RawSocketFlag(listener.Socket, Loopback.SoReuseAddr));
            Assert.False(Loopback.RawSocketFlag(listener.Socket, Loopback.SoReusePort));
        }

        [Fact]
        public void DefaultsAreLoopbackAndAnEphemeralPort()
        {
            using Listener listener = TcpSockets.StartListener(new ListenerOptions { Name = "web" });
            Assert.Equal("127.0.0.1", listener.LocalAddress);
            Assert.InRange(listener.LocalPort, 1, 65535);
            Assert.Equal("IPv4", listener.AddressFamily);
            Assert.Equal("web", listener.Name);
            Assert.Equal(ListenerStatus.Listening, listener.State);
            Assert.Same(listener, TcpRegistry.FindListener(listener.Id));
        }

        [Fact]
        public void IPv6LoopbackListenerAcceptsAConnection()
        {
            using Listener listener = Loopback.Listen("::1");
            Assert.Equal("::1", listener.LocalAddress);
            Assert.Equal("IPv6", listener.AddressFamily);
            using Listener bracketed = Loopback.Listen("[::1]");
            Assert.Equal("::1", bracketed.LocalAddress);
            var (client, server) = Loopback.Pair(listener);
            using (client)
            using (server)
            {
                Assert.Equal("::1", server.RemoteAddress);
                Assert.Equal(client.LocalPort, server.RemotePort);
                Assert.Equal(listener.Id, server.ListenerId);
                Assert.Equal(ConnectionRole.Server, server.Role);
                Assert.Equal(1, listener.AcceptedCount);
            }
        }

        [Fact]
        public void DualModeListenerTakesIPv4AndShowsItAsIPv4()
        {
            using Listener listener = TcpSockets.StartListener(new ListenerOptions { Address = "::", DualMode = true });
            Assert.True(listener.DualMode);
            using Connection client = TcpSockets.Connect(new ConnectOptions { RemoteAddress = "127.0.0.1", RemotePort = listener.LocalPort });
            using Connection server = listener.Accept(TimeSpan.FromSeconds(5));

            // The kernel reports ::ffff:127.0.0.1; the module shows IPv4-mapped addresses as IPv4.
            Assert.Equal("127.0.0.1", server.RemoteAddress);
            Assert.Equal("127.0.0.1", server.LocalAddress);
        }

        [Fact]
        public void IPv6OnlyListenerRefusesIPv4()
        {
            using Listener listener = TcpSockets.StartListener(new ListenerOptions { Address = "::" });
            Assert.False(listener.DualMode);
            var ex = Assert.Throws<TcpCloseException>(() =>
                TcpSockets.Connect(new ConnectOptions { RemoteAddress = "127.0.0.1", RemotePort = listener.LocalPort, Timeout = TimeSpan.FromSeconds(5) }));
            Assert.Equal(ErrorIds.ConnectionRefused, ex.ErrorId);
        }

        [Fact]
        public void ASecondListenerOnALivePortFailsWithAddressInUseNamingTheHolder()
        {
            using Listener first = Loopback.Listen();
            var ex = Assert.Throws<TcpCloseException>(() => Loopback.Listen(port: first.LocalPort, reuseAddress: true));
            Assert.Equal(ErrorIds.AddressInUse, ex.ErrorId);
            Assert.Equal(TcpErrorCategory.ResourceUnavailable, ex.Category);
            Assert.Equal($"127.0.0.1:{first.LocalPort}", ex.Target);
            var inner = Assert.IsType<SocketException>(ex.InnerException);
            Assert.Equal(SocketError.AddressAlreadyInUse, inner.SocketErrorCode);
            Assert.NotNull(ex.NativeErrorCode);
            if (Loopback.IsLinux)
            {
                Assert.Contains("live listener", ex.Message);
                Assert.Contains($"process {Environment.ProcessId}", ex.Message);
            }
        }

        [LinuxFact]
        public void ReusePortLetsTwoLiveListenersShareAPortAndReuseAddressDoesNot()
        {
            using Listener first = TcpSockets.StartListener(new ListenerOptions { ReusePort = true });
            using Listener second = TcpSockets.StartListener(new ListenerOptions { ReusePort = true, Port = first.LocalPort });
            Assert.True(first.ReusePort);
            Assert.True(second.ReusePort);
            Assert.False(second.ReuseAddress);

            using Listener plain = TcpSockets.StartListener(new ListenerOptions { ReuseAddress = true });
            var ex = Assert.Throws<TcpCloseException>(() => Loopback.Listen(port: plain.LocalPort, reuseAddress: true));
            Assert.Equal(ErrorIds.AddressInUse, ex.ErrorId);
        }

        [Fact]
        public void AcceptTimesOutWithAcceptTimeout()
        {
            using Listener listener = Loopback.Listen();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var ex = Assert.Throws<TcpCloseException>(() => listener.Accept(TimeSpan.FromMilliseconds(300)));
            Assert.Equal(ErrorIds.AcceptTimeout, ex.ErrorId);
            Assert.Equal(TcpErrorCategory.OperationTimeout, ex.Category);
            Assert.InRange(clock.Elapsed.TotalSeconds, 0.25, 5);
        }

        [Fact]
        public void StopClosesThePortAndIsIdempotent()
        {
            Listener listener = Loopback.Listen();
            int port = listener.LocalPort;
            Assert.True(listener.Stop());
            Assert.False(listener.Stop());
            Assert.Equal(ListenerStatus.Stopped, listener.State);
            Assert.Null(TcpRegistry.FindListener(listener.Id));
            var accept = Assert.Throws<TcpCloseException>(() => listener.Accept(TimeSpan.FromSeconds(1)));
            Assert.Equal(ErrorIds.ListenerStopped, accept.ErrorId);
            var connect = Assert.Throws<TcpCloseException>(() =>
                TcpSockets.Connect(new ConnectOptions { RemoteAddress = "127.0.0.1", RemotePort = port, Timeout = TimeSpan.FromSeconds(5) }));
            Assert.Equal(ErrorIds.ConnectionRefused, connect.ErrorId);
        }

        [Fact]
        public void CloseAllStopsListenersAndClosesConnections()
        {
            Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            Assert.Contains(client, TcpRegistry.Connections);
            TcpRegistry.CloseAll();
            Assert.Equal(ListenerStatus.Stopped, listener.State);
            Assert.Equal(ConnectionStatus.Closed, client.State);
            Assert.Equal(ConnectionStatus.Closed, server.State);
            Assert.DoesNotContain(client, TcpRegistry.Connections);
            Assert.DoesNotContain(listener, TcpRegistry.Listeners);
            TcpRegistry.CloseAll();
        }
    }
}
