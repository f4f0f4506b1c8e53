using System.Text;
using Xunit;

namespace TcpClose.Tests
{
    public sealed class ConnectionTests
    {
        [Fact]
        public void ClientWithFixedLocalPortAndReuseAddressReportsItsEnds()
        {
            using Listener listener = Loopback.Listen();
            int localPort;
            using (Listener probe = Loopback.Listen())
            {
                localPort = probe.LocalPort;
            }

            using Connection client = TcpSockets.Connect(new ConnectOptions
            {
                RemoteAddress = "127.0.0.1",
                RemotePort = listener.LocalPort,
                LocalAddress = "127.0.0.1",
                LocalPort = localPort,
                ReuseAddress = true,
            });
            using Connection server = listener.Accept(TimeSpan.FromSeconds(5));
            Assert.Equal(localPort, client.LocalPort);
            Assert.Equal(localPort, server.RemotePort);
            Assert.True(client.ReuseAddress);
            Assert.Equal(ConnectionRole.Client, client.Role);
            Assert.Null(client.ListenerId);
            Assert.Same(client, TcpRegistry.FindConnection(client.Id));
        }

        [Fact]
        public void TextRoundTripsAndCountsAdd()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            using (server)
            {
                SendResult sent = client.Send(Encoding.UTF8.GetBytes("héllo"), TimeSpan.FromSeconds(5));
                Assert.Equal(6, sent.BytesSent);
                Assert.False(sent.TimedOut);
                ReceiveResult got = server.Receive(1024, TimeSpan.FromSeconds(5), false, Encoding.UTF8);
                Assert.Equal("héllo", got.Text);
                Assert.False(got.EndOfStream);
                Assert.Equal(6, server.BytesReceived);
                Assert.Equal(6, client.BytesSent);
            }
        }

        [Fact]
        public void ReceiveWithNothingToReadTimesOut()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            using (server)
            {
                ReceiveResult got = server.Receive(1024, TimeSpan.FromMilliseconds(200), false, null);
                Assert.True(got.TimedOut);
                Assert.Equal(0, got.Count);
                Assert.InRange(got.Elapsed.TotalSeconds, 0.15, 3);
            }
        }

        [Fact]
        public void SendingAfterThePeerResetIsConnectionReset()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                server.Close(CloseStyle.Abort, 0, TimeSpan.Zero);
                Assert.True(client.Receive(16, TimeSpan.FromSeconds(5), true, null).Reset);
                var ex = Assert.Throws<TcpCloseException>(() => client.Send(new byte[100], TimeSpan.FromSeconds(5)));
                Assert.Equal(ErrorIds.ConnectionReset, ex.ErrorId);
                Assert.Equal(TcpErrorCategory.ConnectionError, ex.Category);
                Assert.IsType<System.Net.Sockets.SocketException>(ex.InnerException);
            }
        }

        [Fact]
        public void HostNameLocalhostResolves()
        {
            using Listener listener = Loopback.Listen();
            using Connection client = TcpSockets.Connect(new ConnectOptions { RemoteAddress = "localhost", RemotePort = listener.LocalPort });
            using Connection server = listener.Accept(TimeSpan.FromSeconds(5));
            Assert.Equal(listener.LocalPort, client.RemotePort);
        }
    }
}
