using System.Diagnostics;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>Ctrl+C in PowerShell cancels a token; every blocking call must give up promptly and leave nothing open.</summary>
    public sealed class CancellationTests
    {
        private static void CancelledQuickly(Action action)
        {
            var clock = Stopwatch.StartNew();
            Assert.ThrowsAny<OperationCanceledException>(action);
            Assert.InRange(clock.Elapsed.TotalSeconds, 0.2, 5);
        }

        [Fact]
        public void AcceptReceiveAndHalfCloseStopWhenCancelled()
        {
            using Listener listener = Loopback.Listen();
            using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
            {
                CancelledQuickly(() => listener.Accept(TimeSpan.FromSeconds(60), cts.Token));
            }

            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
                {
                    CancelledQuickly(() => server.Receive(10, TimeSpan.FromSeconds(60), true, null, cts.Token));
                }

                Assert.Equal(ConnectionStatus.Open, server.State);
                using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
                {
                    CancelledQuickly(() => server.Close(CloseStyle.HalfClose, 0, TimeSpan.FromSeconds(60), cts.Token));
                }

                // A cancelled half-close still closes: the socket is gone, the peer saw the FIN.
                Assert.Equal(ConnectionStatus.Closed, server.State);
                Assert.DoesNotContain(server, TcpRegistry.Connections);
                Assert.True(client.Receive(10, TimeSpan.FromSeconds(5), true, null).EndOfStream);
            }
        }

        [LinuxFact]
        public void LingeringCloseStopsWhenCancelledAndReleasesTheDescriptor()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                // The client never reads: the server's send buffer stays full, so close() lingers.
                Assert.True(server.SendFill(64L << 20, TimeSpan.FromSeconds(1)).TimedOut);
                int fds = Directory.GetFiles("/proc/self/fd").Length;
                using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
                {
                    CancelledQuickly(() => server.Close(CloseStyle.Linger, 60, TimeSpan.Zero, cts.Token));
                }

                Assert.Equal(ConnectionStatus.Closed, server.State);
                Assert.DoesNotContain(server, TcpRegistry.Connections);
                Assert.True(Directory.GetFiles("/proc/self/fd").Length <= fds - 1, "the server's descriptor is released");
            }
        }

        [Fact]
        public void SendToAPeerThatDoesNotReadStopsWhenCancelled()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            using (server)
            using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
            {
                CancelledQuickly(() => server.SendFill(1L << 32, TimeSpan.FromSeconds(60), cts.Token));
                Assert.Equal(ConnectionStatus.Open, server.State);
            }
        }
    }
}
