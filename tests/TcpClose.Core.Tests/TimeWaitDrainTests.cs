using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using Xunit;

namespace TcpClose.Tests
{
    public class TimeWaitDrainTests
    {
        [LinuxFact]
        public void ReturnsTheRowsLeftWhenTheTimeoutPassesAndReportsProgress()
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback);
            var local = net.MakeTimeWait(l);
            // Both ports: other TIME_WAIT rows on a busy machine may share our ephemeral port number.
            var filter = new TcpTableFilter { LocalPorts = new[] { local.Port }, RemotePorts = new[] { ((IPEndPoint)l.LocalEndPoint).Port } };
            Poll.Until(() => TcpTable.ReadTimeWait(filter).Count(), n => n > 0, TimeSpan.FromSeconds(5));

            var reports = new List<TimeWaitProgress>();
            var sw = Stopwatch.StartNew();
            var left = TimeWaitDrain.Wait(filter, TimeSpan.FromSeconds(0.6), reports.Add, CancellationToken.None);
            sw.Stop();
            var row = Assert.Single(left);
            Assert.Equal(local.Port, row.LocalPort);
            Assert.InRange(sw.Elapsed.TotalSeconds, 0.55, 3.0);
            Assert.True(reports.Count >= 2, $"{reports.Count} progress reports");
            Assert.All(reports, p => Assert.Equal(1, p.RowsLeft));
            Assert.All(reports, p => Assert.InRange(p.LongestRemaining.TotalSeconds, 50, 60.5));
            Assert.True(reports.Last().Elapsed >= reports.First().Elapsed);

            // The error Wait-TcpTimeWait writes then: the rows as target, the ports and the time left named.
            TcpCloseException error = TimeWaitDrain.Remains(left, new[] { local.Port, local.Port }, TimeSpan.FromSeconds(0.6));
            Assert.Equal(ErrorIds.TimeWaitRemains, error.ErrorId);
            Assert.Equal(TcpErrorCategory.OperationTimeout, error.Category);
            Assert.Equal(left, Assert.IsType<TimeWaitEntry[]>(error.Target));
            Assert.Contains($"1 TIME_WAIT row still on port {local.Port} after 0.6 s", error.Message);
            Assert.Contains(" s left.", error.Message);
            Assert.DoesNotContain("estimated", error.Message);
        }

        [LinuxFact]
        public void ReturnsEmptyAtOnceForAPortWithoutTimeWait()
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback); // Listen, not TIME_WAIT
            int port = ((IPEndPoint)l.LocalEndPoint).Port;
            int calls = 0;
            var sw = Stopwatch.StartNew();
            var left = TimeWaitDrain.Wait(new TcpTableFilter { LocalPorts = new[] { port } }, TimeSpan.FromSeconds(10), p => { calls++; Assert.Equal(0, p.RowsLeft); }, CancellationToken.None);
            Assert.Empty(left);
            Assert.Equal(1, calls);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        }

        [Theory]
        [InlineData(0.0)]
        [InlineData(-1.0)]
        [InlineData(double.NaN)]
        [InlineData(double.PositiveInfinity)]
        public void RejectsATimeoutThatIsNotPositiveAndFinite(double seconds)
        {
            var ex = Assert.Throws<TcpCloseException>(() => TimeWaitDrain.Wait(new TcpTableFilter(), seconds, null, CancellationToken.None));
            Assert.Equal(ErrorIds.InvalidTimeout, ex.ErrorId);
            Assert.Equal(TcpErrorCategory.InvalidArgument, ex.Category);
        }

        [Fact]
        public void RejectsZeroAndNegativeTimeSpans()
        {
            foreach (var t in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(-3), TimeSpan.MaxValue })
            {
                var ex = Assert.Throws<TcpCloseException>(() => TimeWaitDrain.Wait(new TcpTableFilter(), t, null, CancellationToken.None));
                Assert.Equal(ErrorIds.InvalidTimeout, ex.ErrorId);
            }
        }

        [LinuxFact]
        public void CancellationStopsTheWait()
        {
            using var net = new LoopbackSockets();
            var local = net.MakeTimeWait(net.Listen(IPAddress.Loopback));
            var filter = new TcpTableFilter { LocalPorts = new[] { local.Port } };
            Poll.Until(() => TcpTable.ReadTimeWait(filter).Count(), n => n > 0, TimeSpan.FromSeconds(5));
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var sw = Stopwatch.StartNew();
            Assert.ThrowsAny<OperationCanceledException>(() => TimeWaitDrain.Wait(filter, TimeSpan.FromSeconds(30), null, cts.Token));
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        }
    }
}
