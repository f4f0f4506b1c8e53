using Xunit;

namespace TcpClose.Tests
{
    /// <summary>
    /// The seed's failure: a server closes first, is restarted, and its old connection in TIME_WAIT
    /// blocks the bind unless both the old and the new listener set SO_REUSEADDR (TCP-NOTES.md, the
    /// measured truth table; Linux inet_csk_bind_conflict).
    /// </summary>
    public sealed class RestartTests
    {
        public static TheoryData<string, bool, bool, bool> TruthTable() => new TheoryData<string, bool, bool, bool>
        {
            // address, old listener SO_REUSEADDR, new listener SO_REUSEADDR, rebind works
            { "127.0.0.1", false, false, false },
            { "127.0.0.1", true, true, true },
            { "127.0.0.1", false, true, false },
            { "127.0.0.1", true, false, false },
            { "::1", false, false, false },
            { "::1", true, true, true },
            { "::1", false, true, false },
            { "::1", true, false, false },
        };

        [LinuxTheory]
        [MemberData(nameof(TruthTable))]
        public void RestartAfterTheServerClosedFirst(string address, bool oldReuse, bool newReuse, bool rebindWorks)
        {
            Listener old = Loopback.Listen(address, reuseAddress: oldReuse);
            int port = old.LocalPort;
            var (client, server) = Loopback.Pair(old);

            // Accepted sockets inherit the listener's SO_REUSEADDR: that is why the old listener matters.
            Assert.Equal(oldReuse, server.ReuseAddress);

            server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            Assert.True(client.Receive(16, TimeSpan.FromSeconds(5), true, null).EndOfStream);
            client.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            Assert.True(Loopback.WaitFor(() => Loopback.Row(server.LocalAddress, port, server.RemoteAddress, server.RemotePort)?.State == TcpState.TimeWait, TimeSpan.FromSeconds(5)),
                "the server side of the connection should sit in TIME_WAIT");
            old.Stop();

            // Test-TcpBind's verdict (a real bind, released at once) agrees with the table and does not disturb it.
            BindTestResult verdict = BindDiagnosis.Test(new BindTestOptions { Address = address, Port = port, ReuseAddress = newReuse });
            Assert.Equal(rebindWorks, verdict.CanBind);
            Assert.Equal(1, verdict.TimeWaitCount);
            Assert.Equal(rebindWorks ? 0 : 1, verdict.BlockedBy.Count);

            if (rebindWorks)
            {
                using Listener restarted = Loopback.Listen(address, port, newReuse);
                Assert.Equal(port, restarted.LocalPort);
                Assert.Equal(newReuse, restarted.ReuseAddress);
            }
            else
            {
                HashSet<long> fds = Loopback.OpenFds();
                int listeners = TcpRegistry.Listeners.Count;
                var ex = Assert.Throws<TcpCloseException>(() => Loopback.Listen(address, port, newReuse));
                Assert.Equal(ErrorIds.AddressInUse, ex.ErrorId);
                Assert.Contains("TIME_WAIT", ex.Message);
                Assert.Contains($"Wait-TcpTimeWait -LocalPort {port}", ex.Message);
                Assert.Contains(newReuse ? "did not set SO_REUSEADDR" : "-ReuseAddress", ex.Message);
                Loopback.AssertNoFdLeak(fds);
                Assert.Equal(listeners, TcpRegistry.Listeners.Count);
            }
        }

        [LinuxFact]
        public void AcceptedConnectionsStillOpenBlockTheRestartAndTheMessageSaysSo()
        {
            Listener old = Loopback.Listen();
            int port = old.LocalPort;
            var (client, server) = Loopback.Pair(old);
            using (client)
            using (server)
            {
                old.Stop();
                var ex = Assert.Throws<TcpCloseException>(() => Loopback.Listen(port: port));
                Assert.Equal(ErrorIds.AddressInUse, ex.ErrorId);
                Assert.Contains("Established", ex.Message);
            }
        }

        [LinuxFact]
        public void BindDiagnosisAgreesWithTheRealBindAndExplainsIt()
        {
            Listener old = Loopback.Listen(reuseAddress: false);
            int port = old.LocalPort;
            var (client, server) = Loopback.Pair(old);
            server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            Assert.True(client.Receive(16, TimeSpan.FromSeconds(5), true, null).EndOfStream);
            client.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            old.Stop();
            Assert.True(Loopback.WaitFor(() => Loopback.Row(server.LocalAddress, port, server.RemoteAddress, server.RemotePort)?.State == TcpState.TimeWait, TimeSpan.FromSeconds(5)));

            BindTestResult verdict = BindDiagnosis.Test(new BindTestOptions { Port = port });
            Assert.False(verdict.CanBind);
            Assert.Equal("AddressAlreadyInUse", verdict.Error);
            Assert.Equal(1, verdict.TimeWaitCount);
            TcpTableEntry holder = Assert.Single(verdict.BlockedBy);
            Assert.Equal(TcpState.TimeWait, holder.State);
            Assert.Equal(client.LocalPort, holder.RemotePort);
            Assert.InRange(verdict.LongestTimeWait.Value.TotalSeconds, 50, 60.5);
            Assert.Contains("-ReuseAddress", verdict.Advice);

            // The real bind agrees with the verdict, and the test released its socket.
            Assert.Throws<TcpCloseException>(() => Loopback.Listen(port: port));
            BindTestResult withReuse = BindDiagnosis.Test(new BindTestOptions { Port = port, ReuseAddress = true });
            Assert.False(withReuse.CanBind);
            Assert.Contains("did not set SO_REUSEADDR", withReuse.Advice);
        }

        [Fact]
        public void BindDiagnosisOnAFreePortSaysYesAndHoldsNothing()
        {
            int port;
            using (Listener probe = Loopback.Listen())
            {
                port = probe.LocalPort;
            }

            BindTestResult verdict = BindDiagnosis.Test(new BindTestOptions { Port = port });
            Assert.True(verdict.CanBind);
            Assert.Empty(verdict.BlockedBy);
            Assert.Null(verdict.Error);

            // Released: a real listener can take it right after.
            using Listener real = Loopback.Listen(port: port);
            BindTestResult busy = BindDiagnosis.Test(new BindTestOptions { Port = port });
            Assert.False(busy.CanBind);
            Assert.Contains(busy.BlockedBy, r => r.State == TcpState.Listen && r.LocalPort == port);
        }

        /// <summary>
        /// The bind diagnosis counts only rows that can block the bind: an IPv4 TIME_WAIT row on port
        /// P holds 0.0.0.0:P, but not a :: listener without dual mode (IPV6_V6ONLY, .NET's default),
        /// which Linux binds past it; that verdict names no TIME_WAIT row.
        /// </summary>
        [LinuxFact]
        public void AnIPv4TimeWaitRowCountsAgainstAnIPv4BindOnlyNotAnIPv6OnlyOne()
        {
            Listener old = Loopback.Listen("127.0.0.1");
            int port = old.LocalPort;
            var (client, server) = Loopback.Pair(old);
            server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            Assert.True(client.Receive(16, TimeSpan.FromSeconds(5), true, null).EndOfStream);
            client.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            Assert.True(Loopback.WaitFor(() => Loopback.Row(server.LocalAddress, port, server.RemoteAddress, server.RemotePort)?.State == TcpState.TimeWait, TimeSpan.FromSeconds(5)));
            old.Stop();

            BindTestResult v4 = BindDiagnosis.Test(new BindTestOptions { Address = "0.0.0.0", Port = port });
            Assert.False(v4.CanBind);
            Assert.Equal(1, v4.TimeWaitCount);

            BindTestResult v6Only = BindDiagnosis.Test(new BindTestOptions { Address = "::", Port = port });
            Assert.True(v6Only.CanBind);
            Assert.Equal(0, v6Only.TimeWaitCount);
            Assert.DoesNotContain("TIME_WAIT", v6Only.Advice);
        }
    }
}
