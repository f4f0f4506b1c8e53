using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>
    /// Get-TcpPortUsage's core over real loopback sockets. Each test's destination is its own
    /// listener's port, so the rows it asserts on are its own whatever else the shared table holds.
    /// </summary>
    public class PortUsageTests
    {
        static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

        /// <summary>The range size less reserved ports, computed here from /proc/sys independently of the module.</summary>
        static int LinuxEphemeralPorts()
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split(new[] { '\t', ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            var reserved = new HashSet<int>();
            foreach (var item in File.ReadAllText("/proc/sys/net/ipv4/ip_local_reserved_ports").Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var ends = item.Split('-').Select(int.Parse).ToArray();
                for (int p = ends[0]; p <= ends[^1]; p++)
                    reserved.Add(p);
            }
            return Enumerable.Range(range[0], range[1] - range[0] + 1).Count(p => !reserved.Contains(p));
        }

        static IReadOnlyList<PortUsageEntry> Usage(string address, int port) =>
            PortUsage.Read(new[] { address }, new[] { port });

        [LinuxTheory]
        [InlineData("127.0.0.1")]
        [InlineData("::1")]
        public void ClientSideTimeWaitPortsAreCountedForTheirDestination(string address)
        {
            const int n = 12;
            using var net = new LoopbackSockets();
            var listener = net.Listen(IPAddress.Parse(address));
            int port = ((IPEndPoint)listener.LocalEndPoint).Port;
            var clientPorts = new HashSet<int>();
            for (int i = 0; i < n; i++)
                clientPorts.Add(net.MakeTimeWait(listener).Port); // the client closes first: its side holds TIME_WAIT
            var open = net.Connect(listener); // and one still open

            var rows = Poll.Until(() => Usage(address, port), r => r.Count == 1 && r[0].TimeWait == n && r[0].Established == 1, Deadline);

            var row = Assert.Single(rows);
            Assert.Equal(address, row.LocalAddress);
            Assert.Equal(address, row.RemoteAddress);
            Assert.Equal(port, row.RemotePort);
            Assert.Equal(n, row.TimeWait);
            Assert.Equal(1, row.Established);
            Assert.Equal(0, row.Other);
            Assert.Equal(n + 1, row.Total);
            int size = LinuxEphemeralPorts();
            Assert.Equal(size, row.EphemeralPorts);
            Assert.Equal(Math.Round((n + 1) * 100.0 / size, 3), row.PercentUsed);
            // tcp_tw_reuse as the kernel has it: loopback destinations are reusable unless it is 0.
            int reuse = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/tcp_tw_reuse").Trim());
            Assert.Equal(reuse != 0, row.TimeWaitReusable);
            // The same counts as the table rows themselves.
            var tableRows = TcpTable.Read(new TcpTableFilter { RemotePorts = new[] { port }, RemoteAddresses = new[] { address } }).ToList();
            Assert.Equal(n, tableRows.Count(r => r.State == TcpState.TimeWait && clientPorts.Contains(r.LocalPort)));
        }

        [LinuxFact]
        public void AcceptedConnectionsOfAListenerAreNotOutgoing()
        {
            using var net = new LoopbackSockets();
            var listener = net.Listen(IPAddress.Loopback);
            int port = ((IPEndPoint)listener.LocalEndPoint).Port;
            var (client, _) = net.Connect(listener);
            int clientPort = ((IPEndPoint)client.LocalEndPoint).Port;

            // The server side (local port = the listener's, remote = the client's port) is no destination of ours.
            Assert.Empty(Usage("127.0.0.1", clientPort));
            Assert.Single(Usage("127.0.0.1", port));
        }

        [LinuxFact]
        public void EachLocalAddressIsItsOwnDestination()
        {
            using var net = new LoopbackSockets();
            var listener = net.Listen(IPAddress.Any);
            int port = ((IPEndPoint)listener.LocalEndPoint).Port;
            var sockets = new List<Socket>();
            try
            {
                foreach (var (from, count) in new[] { ("127.0.0.1", 3), ("127.0.0.2", 2) })
                {
                    for (int i = 0; i < count; i++)
                    {
                        var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                        sockets.Add(c);
                        c.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
                        c.Connect(new IPEndPoint(IPAddress.Loopback, port));
                        sockets.Add(listener.Accept());
                    }
                }

                var rows = Poll.Until(() => Usage("127.0.0.1", port), r => r.Sum(x => x.Established) == 5, Deadline);
                Assert.Equal(new[] { ("127.0.0.1", 3), ("127.0.0.2", 2) }, rows.Select(r => (r.LocalAddress, r.Established)).ToArray());
                Assert.True(rows[0].PercentUsed > rows[1].PercentUsed, "highest PercentUsed first");
            }
            finally
            {
                foreach (var s in sockets)
                {
                    s.LingerState = new LingerOption(true, 0); // abort: no TIME_WAIT left behind
                    s.Dispose();
                }
            }
        }

        [Fact]
        public void FiltersAreCheckedWithTheModulesEndpointRules()
        {
            var bad = Assert.Throws<TcpCloseException>(() => PortUsage.Read(new[] { "not-an-address" }, null));
            Assert.Equal(ErrorIds.InvalidAddress, bad.ErrorId);
            Assert.Equal(TcpErrorCategory.InvalidArgument, bad.Category);
            Assert.Equal("not-an-address", bad.Target);
            bad = Assert.Throws<TcpCloseException>(() => PortUsage.Read(null, new[] { 70000 }));
            Assert.Equal(ErrorIds.InvalidPort, bad.ErrorId);
            Assert.Equal(70000, bad.Target);
        }

        [Theory]
        [InlineData(0, "127.0.0.1", "127.0.0.1", false)]
        [InlineData(1, "10.0.0.1", "192.0.2.1", true)]
        [InlineData(2, "10.0.0.1", "192.0.2.1", false)]
        [InlineData(2, "10.0.0.1", "127.0.0.1", true)]
        [InlineData(2, "127.0.0.5", "192.0.2.1", true)]
        [InlineData(2, "::1", "2001:db8::1", true)]
        [InlineData(2, "::ffff:127.0.0.1", "::ffff:192.0.2.1", true)]
        [InlineData(2, "2001:db8::2", "2001:db8::1", false)]
        public void TimeWaitReuseIsEvaluatedForTheRowsAddresses(int reuse, string local, string remote, bool expected)
        {
            var l = IPKey.FromAddress(IPAddress.Parse(local));
            var r = IPKey.FromAddress(IPAddress.Parse(remote));
            Assert.Equal(expected, PortUsage.TimeWaitReusable(reuse, l, r));
            Assert.Null(PortUsage.TimeWaitReusable(null, l, r));
        }

        /// <summary>The rate is the dated rows over the span they cover: at least one second.</summary>
        [Theory]
        [InlineData(240, 6000, 40.0)]    // a load that started 6 s ago
        [InlineData(3000, 60000, 50.0)]  // one that has run for minutes: the whole 60 s
        [InlineData(3, 200, 3.0)]        // rows younger than a second: counted over one
        public void TimeWaitRateIsTheDatedRowsOverTheSpanTheyCover(int rows, long oldestAgeMs, double rate) =>
            Assert.Equal(rate, PortUsage.RatePerSecond(rows, oldestAgeMs));

        [Fact]
        public void NoDatedRowNoRate() => Assert.Null(PortUsage.RatePerSecond(0, 0));

        /// <summary>
        /// The range runs out only when the rows at that rate (rate x TIME_WAIT length, with the open
        /// connections) do not fit; then in (free ports / rate) seconds.
        /// </summary>
        [Fact]
        public void ExhaustionComesWhenTheRowsAtThatRateDoNotFit()
        {
            var runsOut = new PortUsageEntry("127.0.0.1", "10.0.0.1", 443, 10, 1000, 0, 28232, false, 500, TimeSpan.FromSeconds(60));
            Assert.Equal(500, runsOut.TimeWaitPerSecond);
            Assert.Equal(TimeSpan.FromSeconds(Math.Ceiling((28232 - 1010) / 500.0)), runsOut.ExhaustedIn);

            var fits = new PortUsageEntry("127.0.0.1", "10.0.0.1", 443, 10, 1000, 0, 28232, false, 100, TimeSpan.FromSeconds(60));
            Assert.Null(fits.ExhaustedIn); // 100/s x 60 s + 10 = 6,010 ports at most

            var full = new PortUsageEntry("127.0.0.1", "10.0.0.1", 443, 0, 1000, 0, 1000, false, 20, TimeSpan.FromSeconds(60));
            Assert.Equal(TimeSpan.Zero, full.ExhaustedIn);

            var noRate = new PortUsageEntry("127.0.0.1", "10.0.0.1", 443, 10, 1000, 0, 28232, null);
            Assert.Null(noRate.TimeWaitPerSecond);
            Assert.Null(noRate.ExhaustedIn);
        }
    }
}
