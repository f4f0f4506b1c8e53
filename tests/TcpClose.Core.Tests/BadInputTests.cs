using System.Runtime.InteropServices;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>Bad input gets a clear error naming the bad value, and leaves nothing half done.</summary>
    public sealed class BadInputTests
    {
        private static TcpCloseException Fails(Action action, string errorId, TcpErrorCategory category)
        {
            int listeners = TcpRegistry.Listeners.Count;
            int connections = TcpRegistry.Connections.Count;
            HashSet<long> fds = Loopback.IsLinux ? Loopback.OpenFds() : null;
            var ex = Assert.Throws<TcpCloseException>(action);
            Assert.Equal(errorId, ex.ErrorId);
            Assert.Equal(category, ex.Category);
            Assert.Equal(listeners, TcpRegistry.Listeners.Count);
            Assert.Equal(connections, TcpRegistry.Connections.Count);
            if (Loopback.IsLinux)
            {
                Loopback.AssertNoFdLeak(fds);
            }

            return ex;
        }

        [Theory]
        [InlineData(-1)]
        [InlineData(65536)]
        [InlineData(70000)]
        public void ListenerPortOutOfRange(int port)
        {
            var ex = Fails(() => TcpSockets.StartListener(new ListenerOptions { Port = port }), ErrorIds.InvalidPort, TcpErrorCategory.InvalidArgument);
            Assert.Contains(port.ToString(), ex.Message);
            Assert.Contains("0 and 65535", ex.Message);
            Assert.Equal(port, ex.Target);
        }

        [Theory]
        [InlineData("not-an-ip")]
        [InlineData("127.1")]
        [InlineData("256.0.0.1")]
        [InlineData("")]
        [InlineData(null)]
        public void UnparsableListenerAddress(string address)
        {
            var ex = Fails(() => TcpSockets.StartListener(new ListenerOptions { Address = address }), ErrorIds.InvalidAddress, TcpErrorCategory.InvalidArgument);
            Assert.Contains($"'{address}'", ex.Message);
        }

        [Fact]
        public void AddressNotOnThisMachine()
        {
            // TEST-NET-1 (RFC 5737): never assigned locally, and bind sends no traffic.
            Fails(() => TcpSockets.StartListener(new ListenerOptions { Address = "192.0.2.1" }), ErrorIds.AddressNotAvailable, TcpErrorCategory.InvalidArgument);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(-5)]
        [InlineData(65536)]
        public void BacklogOutOfRange(int backlog)
        {
            Fails(() => TcpSockets.StartListener(new ListenerOptions { Backlog = backlog }), ErrorIds.InvalidBacklog, TcpErrorCategory.InvalidArgument);
        }

        [Fact]
        public void OptionsThatDoNotExistOnThisOsAreRefusedNotIgnored()
        {
            bool windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            var ex = Fails(() => TcpSockets.StartListener(new ListenerOptions { ExclusiveAddressUse = !windows, ReusePort = windows }),
                ErrorIds.PlatformNotSupported, TcpErrorCategory.NotImplemented);
            Assert.Contains(windows ? "-ReusePort" : "-ExclusiveAddressUse", ex.Message);
        }

        [WindowsFact]
        public void ReuseAddressAndExclusiveAddressUseConflict()
        {
            Fails(() => TcpSockets.StartListener(new ListenerOptions { ExclusiveAddressUse = true, ReuseAddress = true }),
                ErrorIds.ConflictingOptions, TcpErrorCategory.InvalidArgument);
        }

        [Fact]
        public void DualModeNeedsIPv6()
        {
            Fails(() => TcpSockets.StartListener(new ListenerOptions { DualMode = true }), ErrorIds.ConflictingOptions, TcpErrorCategory.InvalidArgument);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(-1)]
        public void NotPositiveTimeoutsAreRefused(int seconds)
        {
            TimeSpan timeout = TimeSpan.FromSeconds(seconds);
            using Listener listener = Loopback.Listen();
            Fails(() => listener.Accept(timeout), ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument);
            Fails(() => TcpSockets.Connect(new ConnectOptions { RemoteAddress = "127.0.0.1", RemotePort = listener.LocalPort, Timeout = timeout }),
                ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument);

            var (client, server) = Loopback.Pair(listener);
            using (client)
            using (server)
            {
                Fails(() => server.Close(CloseStyle.HalfClose, 0, timeout), ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument);
                Fails(() => server.Receive(10, timeout, false, null), ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument);
                Fails(() => server.Send(new byte[1], timeout), ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument);

                // Nothing was done: the connection still carries data both ways.
                Assert.Equal(ConnectionStatus.Open, server.State);
                server.Send(new byte[] { 42 }, TimeSpan.FromSeconds(5));
                Assert.Equal(1, client.Receive(10, TimeSpan.FromSeconds(5), false, null).Count);
            }
        }

        [Theory]
        [InlineData(-1)]
        [InlineData(65536)]
        public void LingerOutOfRangeLeavesTheConnectionOpen(int linger)
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            using (server)
            {
                var ex = Fails(() => server.Close(CloseStyle.Linger, linger, TimeSpan.Zero), ErrorIds.InvalidLinger, TcpErrorCategory.InvalidArgument);
                Assert.Contains(linger.ToString(), ex.Message);
                Assert.Equal(ConnectionStatus.Open, server.State);
            }
        }

        [Fact]
        public void UseAfterCloseAndDoubleCloseAreConnectionClosed()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
                var again = Fails(() => server.Close(CloseStyle.Abort, 0, TimeSpan.Zero), ErrorIds.ConnectionClosed, TcpErrorCategory.InvalidOperation);
                Assert.Same(server, again.Target);
                Assert.Contains("already closed", again.Message);
                Fails(() => server.Send(new byte[1], TimeSpan.FromSeconds(1)), ErrorIds.ConnectionClosed, TcpErrorCategory.InvalidOperation);
                Fails(() => server.Receive(1, TimeSpan.FromSeconds(1), false, null), ErrorIds.ConnectionClosed, TcpErrorCategory.InvalidOperation);

                // The first close's record is untouched by the failed second one.
                Assert.Equal(CloseStyle.Graceful, server.CloseResult.Style);
            }
        }

        [Theory]
        [InlineData(0)]
        [InlineData(-1)]
        [InlineData(65536)]
        public void RemotePortOutOfRange(int port)
        {
            Fails(() => TcpSockets.Connect(new ConnectOptions { RemoteAddress = "127.0.0.1", RemotePort = port }), ErrorIds.InvalidPort, TcpErrorCategory.InvalidArgument);
        }

        [Fact]
        public void ConnectToNothingIsRefusedAndLeavesNothing()
        {
            int port;
            using (Listener probe = Loopback.Listen())
            {
                port = probe.LocalPort;
            }

            var ex = Fails(() => TcpSockets.Connect(new ConnectOptions { RemoteAddress = "127.0.0.1", RemotePort = port, Timeout = TimeSpan.FromSeconds(5) }),
                ErrorIds.ConnectionRefused, TcpErrorCategory.ConnectionError);
            Assert.Equal($"127.0.0.1:{port}", ex.Target);
            Assert.NotNull(ex.NativeErrorCode);
        }

        [Fact]
        public void MixedFamiliesAreRefused()
        {
            Fails(() => TcpSockets.Connect(new ConnectOptions { RemoteAddress = "::1", RemotePort = 80, LocalAddress = "127.0.0.1" }),
                ErrorIds.ConflictingOptions, TcpErrorCategory.InvalidArgument);
        }

        [Fact]
        public void SendFillAndReceiveCountsMustBePositive()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            using (server)
            {
                Fails(() => server.SendFill(0, TimeSpan.FromSeconds(1)), ErrorIds.InvalidCount, TcpErrorCategory.InvalidArgument);
                Fails(() => server.Receive(0, TimeSpan.FromSeconds(1), false, null), ErrorIds.InvalidCount, TcpErrorCategory.InvalidArgument);
            }
        }
    }
}
