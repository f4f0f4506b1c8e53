using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>Test-TcpPort's core over real loopback sockets: what a probe reports, and what it leaves behind.</summary>
    public sealed class PortProbeTests
    {
        private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

        private static PortTestResult Probe(string address, int port, double connectSeconds = 5) =>
            PortProbe.Test(new PortTestOptions { RemoteAddress = address, RemotePort = port, ConnectTimeout = TimeSpan.FromSeconds(connectSeconds) });

        /// <summary>A loopback port nothing listens on: a listener on port 0 that accepted nothing (so no TIME_WAIT), stopped.</summary>
        private static int FreePort(string address = "127.0.0.1")
        {
            using Listener listener = Loopback.Listen(address);
            return listener.LocalPort;
        }

        [Theory]
        [InlineData("127.0.0.1")]
        [InlineData("::1")]
        public void AListeningPort_IsConnected_WithTheLocalEndTheProbeUsed(string address)
        {
            using Listener listener = Loopback.Listen(address);
            PortTestResult result = Probe(address, listener.LocalPort);

            Assert.Equal(PortTestOutcome.Connected, result.Result);
            Assert.True(result.Succeeded);
            Assert.Equal(address, result.ComputerName);
            Assert.Equal(address, result.RemoteAddress);
            Assert.Equal(listener.LocalPort, result.RemotePort);
            Assert.Equal(address, result.LocalAddress);
            Assert.InRange(result.LocalPort ?? 0, 1, 65535);
            Assert.NotEqual(listener.LocalPort, result.LocalPort);
            Assert.Null(result.Error);
            Assert.Null(result.NativeErrorCode);
            Assert.Equal(1, result.Attempts);
            Assert.True(result.Elapsed > TimeSpan.Zero);
            Assert.Equal(result.Elapsed.TotalSeconds, result.ElapsedSeconds);
        }

        [Fact]
        public void APortNobodyListensOn_IsRefused_AsAResultNotAnError()
        {
            int port = FreePort();
            PortTestResult result = Probe("127.0.0.1", port);

            Assert.Equal(PortTestOutcome.Refused, result.Result);
            Assert.False(result.Succeeded);
            Assert.Equal("ConnectionRefused", result.Error);
            if (Loopback.IsLinux)
            {
                Assert.Equal(111, result.NativeErrorCode); // ECONNREFUSED
            }
        }

        [LinuxFact]
        public void AListenerWhoseAcceptQueueIsFull_DoesNotAnswer_AndTheProbeTimesOut()
        {
            // Linux drops SYNs while a listener's accept queue is full (backlog 1: two connections
            // waiting to be accepted fill it), so the SYN goes unanswered, like a firewall that drops it.
            using Listener listener = TcpSockets.StartListener(new ListenerOptions { Address = "127.0.0.1", Backlog = 1 });
            var fillers = new List<Socket>();
            try
            {
                for (int i = 0; i < 8; i++)
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    fillers.Add(s);
                    s.LingerState = new LingerOption(true, 0); // clean-up leaves no TIME_WAIT
                    s.Blocking = false;
                    try
                    {
                        s.Connect(IPAddress.Loopback, listener.LocalPort);
                    }
                    catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock || ex.SocketErrorCode == SocketError.InProgress)
                    {
                    }

                    if (!s.Poll(300_000, SelectMode.SelectWrite))
                    {
                        break; // this SYN went unanswered: the queue is full
                    }
                }

                Assert.False(fillers[^1].Poll(0, SelectMode.SelectWrite), "the accept queue never filled");
                var clock = Stopwatch.StartNew();
                PortTestResult result = Probe("127.0.0.1", listener.LocalPort, connectSeconds: 0.5);

                Assert.Equal(PortTestOutcome.TimedOut, result.Result);
                Assert.Null(result.Error);
                Assert.InRange(clock.Elapsed.TotalSeconds, 0.45, 5);
            }
            finally
            {
                fillers.ForEach(s => s.Dispose());
            }
        }

        /// <summary>
        /// The point of the probe: it closes with RST, so neither side keeps the 4-tuple. Checked on
        /// the exact 4-tuples of a few probes after the server has read the reset (so the RST has
        /// been processed on both sides), against a control connection closed gracefully, which must
        /// show the TIME_WAIT the probes avoid.
        /// </summary>
        [LinuxFact]
        public void ProbesLeaveNoTimeWait_OnEitherSide_WhereAGracefulCloseLeavesOne()
        {
            using Listener listener = Loopback.Listen();
            int port = listener.LocalPort;
            for (int i = 0; i < 3; i++)
            {
                PortTestResult probe = Probe("127.0.0.1", port);
                Assert.True(probe.Succeeded);
                int probePort = probe.LocalPort!.Value;
                using (Connection server = listener.Accept(TimeSpan.FromSeconds(5)))
                {
                    Assert.Equal(probePort, server.RemotePort);
                    ReceiveResult read = server.Receive(16, TimeSpan.FromSeconds(5), untilEndOfStream: true, encoding: null);
                    Assert.True(read.Reset, "the server saw no reset from the probe");
                }

                Assert.Empty(Loopback.SsRows("127.0.0.1", probePort, "127.0.0.1", port));
                Assert.Empty(Loopback.SsRows("127.0.0.1", port, "127.0.0.1", probePort));
            }

            // Control: the same connect, closed gracefully by the client, with the server closing
            // after it read the FIN. The client's 4-tuple is then in TIME_WAIT.
            Connection client = TcpSockets.Connect(new ConnectOptions { RemoteAddress = "127.0.0.1", RemotePort = port, Timeout = TimeSpan.FromSeconds(5) });
            int clientPort = client.LocalPort;
            using (Connection server = listener.Accept(TimeSpan.FromSeconds(5)))
            {
                client.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
                Assert.True(server.Receive(16, TimeSpan.FromSeconds(5), untilEndOfStream: true, encoding: null).EndOfStream);
                server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            }

            TcpTableEntry row = Poll.Until(() => Loopback.Row("127.0.0.1", clientPort, "127.0.0.1", port), r => r?.State == TcpState.TimeWait, Settle);
            Assert.Equal(TcpState.TimeWait, row?.State);
            // ss sees the control's row with the same query that saw nothing of the probes above.
            Assert.Contains("TIME-WAIT", Assert.Single(Loopback.SsRows("127.0.0.1", clientPort, "127.0.0.1", port)));

            // Clean up the control's row where we may (root: SOCK_DESTROY, as ss -K does).
            DestroyTimeWait(clientPort, port);
        }

        /// <summary>
        /// A listener that has not accepted yet: the probe's RST still removes the 4-tuple from the
        /// table at once on both sides, but the reset connection waits in the accept queue; the
        /// server's next accept returns it, and its first read reports the reset.
        /// </summary>
        [LinuxFact]
        public void AProbeOfAListenerThatHasNotAccepted_LeavesNoRow_ButAResetConnectionInItsQueue()
        {
            using Listener listener = Loopback.Listen();
            PortTestResult probe = Probe("127.0.0.1", listener.LocalPort);
            Assert.True(probe.Succeeded);
            int probePort = probe.LocalPort!.Value;

            Assert.Empty(Loopback.SsRows("127.0.0.1", probePort, "127.0.0.1", listener.LocalPort));
            Assert.Empty(Loopback.SsRows("127.0.0.1", listener.LocalPort, "127.0.0.1", probePort));

            using Connection server = listener.Accept(TimeSpan.FromSeconds(5));
            Assert.Equal(probePort, server.RemotePort);
            Assert.True(server.Receive(16, TimeSpan.FromSeconds(5), untilEndOfStream: true, encoding: null).Reset);

            // Control: the same ss query finds the rows of a connection that is there.
            var (client, accepted) = Loopback.Pair(listener);
            using (client)
            using (accepted)
            {
                Assert.Single(Loopback.SsRows("127.0.0.1", client.LocalPort, "127.0.0.1", listener.LocalPort));
                Assert.Single(Loopback.SsRows("127.0.0.1", listener.LocalPort, "127.0.0.1", client.LocalPort));
            }
        }

        [Fact]
        public void Localhost_TriesTheLoopbacksInTheResolversOrder_AndReportsTheOneThatAnswered()
        {
            IReadOnlyList<IPAddress> addresses = Endpoints.ResolveAll("localhost", CancellationToken.None);
            Assert.Contains(IPAddress.Loopback, addresses);
            Assert.Contains(IPAddress.IPv6Loopback, addresses);
            Assert.Equal(Dns.GetHostAddresses("localhost").Where(IPAddress.IsLoopback).Distinct().Take(1), addresses.Take(1));

            // Only ::1 listens: whatever the order, localhost finds it.
            using Listener listener = Loopback.Listen("::1");
            PortTestResult result = Probe("localhost", listener.LocalPort);
            Assert.Equal(PortTestOutcome.Connected, result.Result);
            Assert.Equal("localhost", result.ComputerName);
            Assert.Equal("::1", result.RemoteAddress);
        }

        [Fact]
        public void WhenNoAddressAnswers_TheResultIsTheFirstAddresss()
        {
            int port = FreePort();
            IPAddress first = Endpoints.ResolveAll("localhost", CancellationToken.None)[0];
            PortTestResult result = Probe("localhost", port);
            Assert.Equal(PortTestOutcome.Refused, result.Result);
            Assert.Equal(first.ToString(), result.RemoteAddress);
        }

        [Theory]
        [InlineData("0.0.0.0", "127.0.0.1")]
        [InlineData("::", "::1")]
        [InlineData("[::1]", "::1")]
        public void AWildcardOrBracketedAddress_ProbesTheLoopback(string given, string tried)
        {
            using Listener listener = Loopback.Listen(tried);
            PortTestResult result = Probe(given, listener.LocalPort);
            Assert.Equal(PortTestOutcome.Connected, result.Result);
            Assert.Equal(given, result.ComputerName);
            Assert.Equal(tried, result.RemoteAddress);
        }

        [Fact]
        public void Wait_ReturnsOnTheFirstAttemptThatConnects()
        {
            int port = FreePort();
            Listener started = null;
            try
            {
                // The "service" starts once the waiter has seen the port refused once.
                PortTestResult result = PortProbe.Wait(
                    new PortTestOptions { RemoteAddress = "127.0.0.1", RemotePort = port },
                    TimeSpan.FromSeconds(10),
                    onAttempt: r =>
                    {
                        Assert.Equal(PortTestOutcome.Refused, r.Result);
                        started ??= Loopback.Listen(port: port);
                    });

                Assert.NotNull(started);
                Assert.Equal(PortTestOutcome.Connected, result.Result);
                Assert.Equal(2, result.Attempts);
                Assert.InRange(result.ElapsedSeconds, PortProbe.WaitInterval.TotalSeconds * 0.9, 5);
            }
            finally
            {
                started?.Dispose();
            }
        }

        [Fact]
        public void Wait_GivesUpAtTheTimeout_WithTheLastResult()
        {
            int port = FreePort();
            var clock = Stopwatch.StartNew();
            var log = new System.Text.StringBuilder();
            PortTestResult result = PortProbe.Wait(new PortTestOptions { RemoteAddress = "127.0.0.1", RemotePort = port }, TimeSpan.FromSeconds(1),
                onAttempt: r => log.Append($"{clock.Elapsed.TotalMilliseconds:F0}:{r.Result} "), onProbe: null);
            clock.Stop();
            Assert.True(result.Attempts <= 6, $"attempts at ms: {log}"); // 1 s at 250 ms intervals; no tight loop at the deadline

            Assert.Equal(PortTestOutcome.Refused, result.Result);
            Assert.InRange(result.Attempts, 2, 6);
            Assert.InRange(result.ElapsedSeconds, 0.95, 5);
            Assert.InRange(clock.Elapsed.TotalSeconds, 0.95, 5);

            TcpCloseException error = PortProbe.NotAnswering(result, TimeSpan.FromSeconds(1));
            Assert.Equal(ErrorIds.PortNotAnswering, error.ErrorId);
            Assert.Equal(TcpErrorCategory.OperationTimeout, error.Category);
            Assert.Same(result, error.Target);
            Assert.Contains($"127.0.0.1:{port}", error.Message);
            Assert.Contains("Refused", error.Message);
        }

        [Fact]
        public void Wait_StopsPromptlyWhenCancelled()
        {
            int port = FreePort();
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var clock = Stopwatch.StartNew();
            Assert.ThrowsAny<OperationCanceledException>(() =>
                PortProbe.Wait(new PortTestOptions { RemoteAddress = "127.0.0.1", RemotePort = port }, TimeSpan.FromSeconds(60), cancellationToken: cts.Token));
            Assert.InRange(clock.Elapsed.TotalSeconds, 0.2, 5);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(-1)]
        [InlineData(65536)]
        [InlineData(70000)]
        public void ABadPort_IsInvalidPort_NamingIt(int port)
        {
            HashSet<long> fds = Loopback.IsLinux ? Loopback.OpenFds() : null;
            var ex = Assert.Throws<TcpCloseException>(() => Probe("127.0.0.1", port));
            Assert.Equal(ErrorIds.InvalidPort, ex.ErrorId);
            Assert.Equal(TcpErrorCategory.InvalidArgument, ex.Category);
            Assert.Contains(port.ToString(), ex.Message);
            Assert.Contains("1 and 65535", ex.Message);
            if (Loopback.IsLinux)
            {
                Loopback.AssertNoFdLeak(fds);
            }
        }

        [Theory]
        [InlineData("no-such-host.invalid")] // RFC 6761: .invalid never resolves
        [InlineData("")]
        [InlineData(null)]
        public void AnUnresolvableName_IsInvalidAddress_NamingIt(string address)
        {
            var ex = Assert.Throws<TcpCloseException>(() => Probe(address, 80));
            Assert.Equal(ErrorIds.InvalidAddress, ex.ErrorId);
            Assert.Equal(TcpErrorCategory.InvalidArgument, ex.Category);
            Assert.Equal(address, ex.Target);
        }

        [Fact]
        public void ANonPositiveTimeout_IsInvalidTimeout()
        {
            var ex = Assert.Throws<TcpCloseException>(() => Probe("127.0.0.1", 80, connectSeconds: 0));
            Assert.Equal(ErrorIds.InvalidTimeout, ex.ErrorId);
            ex = Assert.Throws<TcpCloseException>(() => PortProbe.Wait(new PortTestOptions { RemotePort = 80 }, TimeSpan.Zero));
            Assert.Equal(ErrorIds.InvalidTimeout, ex.ErrorId);
        }

        // The control connection's TIME_WAIT row is ours: remove it (root only), as ss -K does.
        private static void DestroyTimeWait(int clientPort, int serverPort)
        {
            try
            {
                using var ss = Process.Start(new ProcessStartInfo("ss", $"-K state time-wait src 127.0.0.1:{clientPort} dst 127.0.0.1:{serverPort}")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                ss?.WaitForExit(5000);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // No ss: the row expires by itself in 60 s.
            }
        }
    }
}
