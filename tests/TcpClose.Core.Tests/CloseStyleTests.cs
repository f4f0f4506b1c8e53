using System.Text;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>Each close style as the peer and the OS table see it (TCP-NOTES.md, UNP section 7.5).</summary>
    public sealed class CloseStyleTests
    {
        private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

        [Theory]
        [InlineData("127.0.0.1")]
        [InlineData("::1")]
        public void GracefulClosePeerReadsEverythingThenEndOfStream(string address)
        {
            using Listener listener = Loopback.Listen(address);
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                server.Send(Encoding.UTF8.GetBytes("last words"), Wait);
                CloseResult result = server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);

                ReceiveResult peer = client.Receive(1024, Wait, true, Encoding.UTF8);
                Assert.Equal("last words", peer.Text);
                Assert.True(peer.EndOfStream);
                Assert.False(peer.Reset);

                Assert.Equal(CloseStyle.Graceful, result.Style);
                Assert.Equal(ConnectionStatus.Closed, server.State);
                Assert.Same(result, server.CloseResult);
                Assert.InRange(result.Elapsed.TotalSeconds, 0, 2);
                if (Loopback.IsLinux)
                {
                    // Active closer, peer not closed yet: our FIN is ACKed, we wait for theirs.
                    Assert.True(result.LocalStateObserved);
                    Assert.Equal(TcpState.FinWait2, result.LocalStateAfter);
                }
            }
        }

        [LinuxTheory]
        [InlineData("127.0.0.1")]
        [InlineData("::1")]
        public void GracefulActiveCloseLeavesTimeWaitWithAboutSixtySecondsAbortLeavesNone(string address)
        {
            using Listener listener = Loopback.Listen(address);

            var (client, server) = Loopback.Pair(listener);
            server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            client.Receive(16, Wait, true, null);
            client.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            TcpTableEntry row = null;
            Assert.True(Loopback.WaitFor(() => (row = Loopback.Row(server.CloseResult))?.State == TcpState.TimeWait, Wait));
            Assert.InRange(row.TimerRemaining.Value.TotalSeconds, 55, 60.5);

            // The passive closer (the client here) leaves no TIME_WAIT.
            Assert.True(Loopback.WaitFor(() => Loopback.Row(client.CloseResult) == null, Wait));

            var (client2, server2) = Loopback.Pair(listener);
            using (client2)
            {
                CloseResult aborted = server2.Close(CloseStyle.Abort, 0, TimeSpan.Zero);
                Assert.True(aborted.LocalStateObserved);
                Assert.Null(aborted.LocalStateAfter);
                Assert.Null(Loopback.Row(aborted));
            }
        }

        [Fact]
        public void AbortSendsResetThePeerSeesIt()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                CloseResult result = server.Close(CloseStyle.Abort, 0, TimeSpan.Zero);
                Assert.Equal(CloseStyle.Abort, result.Style);
                ReceiveResult peer = client.Receive(1024, Wait, true, null);
                Assert.True(peer.Reset);
                Assert.False(peer.EndOfStream);
            }
        }

        [LinuxFact]
        public void AbortDiscardsQueuedDataThePeerGetsPartThenReset()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                // The peer does not read: most of 8 MiB stays queued on our side and is thrown away.
                SendResult sent = server.SendFill(8 * 1024 * 1024, TimeSpan.FromSeconds(1));
                Assert.True(sent.TimedOut);
                CloseResult result = server.Close(CloseStyle.Abort, 0, TimeSpan.Zero);
                Assert.True(result.UnsentBytes > 0, $"unsent bytes {result.UnsentBytes}");

                ReceiveResult peer = client.Receive(16 * 1024 * 1024, TimeSpan.FromSeconds(10), true, null);
                Assert.True(peer.Reset);
                Assert.InRange(peer.Count, 0, (int)sent.BytesSent - 1);
            }
        }

        [LinuxFact]
        public void LingerBlocksForAboutNSecondsAgainstAPeerThatDoesNotReadAndLinuxStillDelivers()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                SendResult sent = server.SendFill(8 * 1024 * 1024, TimeSpan.FromSeconds(1));
                Assert.True(sent.TimedOut, "the peer's window should be full");

                CloseResult result = server.Close(CloseStyle.Linger, 2, TimeSpan.Zero);
                Assert.Equal(2, result.LingerSeconds);
                Assert.InRange(result.Elapsed.TotalSeconds, 1.9, 4);
                Assert.True(result.LingerTimedOut);

                // Linux does not discard the data when the linger time runs out (BSD would): the peer
                // reads every byte that close() had queued, then EOF.
                ReceiveResult peer = client.Receive(16 * 1024 * 1024, TimeSpan.FromSeconds(20), true, null);
                Assert.True(peer.EndOfStream);
                Assert.Equal(sent.BytesSent, peer.Count);
            }
        }

        [Fact]
        public void LingerReturnsQuicklyWhenThePeerReads()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                server.Send(new byte[1000], Wait);
                CloseResult result = server.Close(CloseStyle.Linger, 5, TimeSpan.Zero);
                Assert.False(result.LingerTimedOut);
                Assert.InRange(result.Elapsed.TotalSeconds, 0, 2);
                ReceiveResult peer = client.Receive(4096, Wait, true, null);
                Assert.Equal(1000, peer.Count);
                Assert.True(peer.EndOfStream);
            }
        }

        [Theory]
        [InlineData("127.0.0.1")]
        [InlineData("::1")]
        public void HalfCloseDrainsUntilThePeersFin(string address)
        {
            using Listener listener = Loopback.Listen(address);
            var (client, server) = Loopback.Pair(listener);
            client.Send(Encoding.ASCII.GetBytes("request"), Wait);
            Task<CloseResult> closing = Task.Run(() => server.Close(CloseStyle.HalfClose, 0, TimeSpan.FromSeconds(10)));

            // The peer sees our FIN, answers, and closes: that FIN ends the drain.
            ReceiveResult eof = client.Receive(16, Wait, true, null);
            Assert.True(eof.EndOfStream);
            client.Send(Encoding.ASCII.GetBytes("bye"), Wait);
            client.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);

            Assert.True(closing.Wait(TimeSpan.FromSeconds(15)));
            CloseResult result = closing.Result;
            Assert.True(result.PeerFinSeen);
            Assert.False(result.TimedOut);
            Assert.Equal("request".Length + "bye".Length, result.BytesDrained);
            if (Loopback.IsLinux)
            {
                Assert.Equal(TcpState.TimeWait, result.LocalStateAfter);
                Assert.InRange(Loopback.Row(result).TimerRemaining.Value.TotalSeconds, 55, 60.5);
            }
        }

        [Fact]
        public void HalfCloseTimesOutWhenThePeerNeverCloses()
        {
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                CloseResult result = server.Close(CloseStyle.HalfClose, 0, TimeSpan.FromMilliseconds(500));
                Assert.True(result.TimedOut);
                Assert.False(result.PeerFinSeen);
                Assert.InRange(result.Elapsed.TotalSeconds, 0.45, 3);
                Assert.Equal(ConnectionStatus.Closed, server.State);

                // The peer still got our FIN.
                Assert.True(client.Receive(16, Wait, true, null).EndOfStream);
            }
        }

        [Fact]
        public void ClosingWithUnreadDataSendsResetNotFin()
        {
            // RFC 2525: a graceful close with unread received data turns into RST. This is why
            // -HalfClose drains before it closes.
            using Listener listener = Loopback.Listen();
            var (client, server) = Loopback.Pair(listener);
            using (client)
            {
                client.Send(new byte[100], Wait);
                Assert.True(Loopback.WaitFor(() => server.Socket.Available > 0, Wait));
                server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
                Assert.True(client.Receive(16, Wait, true, null).Reset);
            }
        }
    }
}
