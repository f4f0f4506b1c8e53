using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit;

namespace TcpClose.Tests
{
    public class TcpTableTests
    {
        static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

        static List<TcpTableEntry> Read(TcpTableSource source, TcpTableFilter filter = null) =>
            TcpTable.Read((filter ?? new TcpTableFilter()).From(source)).ToList();

        static string Key(TcpTableEntry e) => $"{e.LocalAddress}|{e.LocalPort}|{e.RemoteAddress}|{e.RemotePort}|{e.State}";

        [LinuxFact]
        public void DefaultSourceOnLinuxIsNetlink()
        {
            Assert.Equal(TcpTableSource.Netlink, TcpTable.DefaultSource);
        }

        [LinuxTheory]
        [InlineData(TcpTableSource.Netlink, "127.0.0.1")]
        [InlineData(TcpTableSource.Netlink, "::1")]
        [InlineData(TcpTableSource.ProcNet, "127.0.0.1")]
        [InlineData(TcpTableSource.ProcNet, "::1")]
        public void ListenerAndEstablishedPairAppearWithTheirAddressesPortsAndStates(TcpTableSource source, string address)
        {
            using var net = new LoopbackSockets();
            var ip = IPAddress.Parse(address);
            var l = net.Listen(ip);
            int port = ((IPEndPoint)l.LocalEndPoint).Port;
            var (c, s) = net.Connect(l);
            int cport = ((IPEndPoint)c.LocalEndPoint).Port;

            var rows = Read(source, new TcpTableFilter { LocalPorts = new[] { port, cport } });
            Assert.Contains(rows, r => r.State == TcpState.Listen && r.LocalAddress == address && r.LocalPort == port);
            Assert.Contains(rows, r => r.State == TcpState.Established && r.LocalAddress == address && r.LocalPort == cport
                                       && r.RemoteAddress == address && r.RemotePort == port);
            Assert.Contains(rows, r => r.State == TcpState.Established && r.LocalPort == port && r.RemotePort == cport);
            // Other processes' TIME_WAIT rows may share the ephemeral port number; keep to our 4-tuples.
            rows = rows.Where(r => r.LocalPort == port && (r.State == TcpState.Listen || r.RemotePort == cport)
                                   || r.LocalPort == cport && r.RemotePort == port).ToList();
            Assert.Equal(3, rows.Count);
            Assert.All(rows, r => Assert.Equal(source, r.Source));
            Assert.All(rows, r => Assert.Equal(ip.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4", r.AddressFamily));
        }

        [LinuxTheory]
        [InlineData(TcpTableSource.Netlink)]
        [InlineData(TcpTableSource.ProcNet)]
        public void MappedIPv4OnADualModeSocketIsShownAsIPv4(TcpTableSource source)
        {
            using var net = new LoopbackSockets();
            var l = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            try
            {
                l.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
                l.Listen(4);
                int port = ((IPEndPoint)l.LocalEndPoint).Port;
                using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                c.Connect(new IPEndPoint(IPAddress.Loopback, port));
                using var s = l.Accept();
                var rows = Read(source, new TcpTableFilter { LocalPorts = new[] { port }, States = new[] { TcpState.Established } });
                var row = Assert.Single(rows);
                Assert.Equal("127.0.0.1", row.LocalAddress);
                Assert.Equal("127.0.0.1", row.RemoteAddress);
                // The filter compares canonically: the mapped form finds the same row.
                var viaMapped = Read(source, new TcpTableFilter { LocalAddresses = new[] { "::ffff:127.0.0.1" }, LocalPorts = new[] { port } });
                Assert.Contains(viaMapped, r => r.State == TcpState.Established);
            }
            finally
            {
                l.Dispose();
            }
        }

        [LinuxTheory]
        [InlineData(TcpTableSource.Netlink, "127.0.0.1")]
        [InlineData(TcpTableSource.ProcNet, "127.0.0.1")]
        [InlineData(TcpTableSource.Netlink, "::1")]
        [InlineData(TcpTableSource.ProcNet, "::1")]
        public void TimeWaitRowHasAboutSixtySecondsLeftRightAfterClose(TcpTableSource source, string address)
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Parse(address));
            var local = net.MakeTimeWait(l);
            int lport = ((IPEndPoint)l.LocalEndPoint).Port;
            // Both ports: on a busy machine other TIME_WAIT rows may share our ephemeral port number.
            var filter = new TcpTableFilter { LocalPorts = new[] { local.Port }, RemotePorts = new[] { lport } };
            var rows = Poll.Until(() => TcpTable.ReadTimeWait(filter.From(source)).ToList(), r => r.Count > 0, Deadline);
            var row = Assert.Single(rows);
            Assert.Equal(address, row.LocalAddress);
            Assert.Equal(((IPEndPoint)l.LocalEndPoint).Port, row.RemotePort);
            Assert.False(row.IsEstimated);
            Assert.InRange(row.RemainingSeconds, 55.0, 60.5);
            Assert.Equal(source, row.Source);

            // The same row through Read: TimeWait state, no owner, the timer as TimerRemaining.
            var entry = Assert.Single(Read(source, new TcpTableFilter { LocalPorts = new[] { local.Port }, RemotePorts = new[] { lport } }));
            Assert.Equal(TcpState.TimeWait, entry.State);
            Assert.Null(entry.OwningProcess);
            Assert.NotNull(entry.TimerRemaining);
            Assert.Equal(0, entry.Inode);
        }

        [LinuxFact]
        public void TimeWaitRemainingAgreesWithSsWithinOneSecond()
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback);
            var local = net.MakeTimeWait(l);
            int lport = ((IPEndPoint)l.LocalEndPoint).Port;
            var filter = new TcpTableFilter { LocalPorts = new[] { local.Port }, RemotePorts = new[] { lport } };
            var ours = Poll.Until(() => TcpTable.ReadTimeWait(filter).ToList(), r => r.Count > 0, Deadline);
            double oursSeconds = Assert.Single(ours).RemainingSeconds;

            string output = Loopback.Ss($"-tano state time-wait sport = :{local.Port} and dport = :{lport}");
            // ss prints e.g. "timer:(timewait,59sec,0)" (iproute2 print_ms_timer: "1min", "59sec",
            // "9.512ms" = 9 s 512 ms, "512ms"); above 9 s it drops the milliseconds, i.e. it rounds down
            // to whole seconds. Ours was read just before ss ran, so ours - ss lies in [0, 1 s + the gap
            // between the two reads]; -0.2 allows for clock granularity (HZ) between the two reads.
            var m = Regex.Match(output, @"timer:\(timewait,([^,]+),");
            Assert.True(m.Success, "ss output had no timewait timer: " + output);
            double ss = ParseSsTimer(m.Groups[1].Value);
            Assert.InRange(oursSeconds - ss, -0.2, 1.2);
        }

        /// <summary>Inverse of iproute2's print_ms_timer.</summary>
        static double ParseSsTimer(string t)
        {
            var m = Regex.Match(t, @"^(?:(\d+)min)?(?:(\d+)sec)?(?:(\d+)\.)?(?:(\d+)ms)?$");
            Assert.True(m.Success && t.Length > 0, "unexpected ss timer text: " + t);
            double v = 0;
            if (m.Groups[1].Success) v += int.Parse(m.Groups[1].Value) * 60;
            if (m.Groups[2].Success) v += int.Parse(m.Groups[2].Value);
            if (m.Groups[3].Success) v += int.Parse(m.Groups[3].Value);
            if (m.Groups[4].Success) v += int.Parse(m.Groups[4].Value) / 1000.0;
            return v;
        }

        [Theory]
        [InlineData("1min", 60.0)]
        [InlineData("59sec", 59.0)]
        [InlineData("9.512ms", 9.512)]
        [InlineData("512ms", 0.512)]
        [InlineData("1min59sec", 119.0)]
        public void SsTimerTextParses(string text, double seconds) => Assert.Equal(seconds, ParseSsTimer(text), 3);

        [LinuxTheory]
        [InlineData(TcpTableSource.Netlink)]
        [InlineData(TcpTableSource.ProcNet)]
        public void FiltersReturnExactlyTheMatchingRows(TcpTableSource source)
        {
            using var net = new LoopbackSockets();
            var l4 = net.Listen(IPAddress.Loopback);
            var l6 = net.Listen(IPAddress.IPv6Loopback);
            var (c4, _) = net.Connect(l4);
            var (c6, _) = net.Connect(l6);
            var (c4b, _) = net.Connect(l4);
            var tw = net.MakeTimeWait(l4);
            int p4 = ((IPEndPoint)l4.LocalEndPoint).Port, p6 = ((IPEndPoint)l6.LocalEndPoint).Port;
            int cp4 = ((IPEndPoint)c4.LocalEndPoint).Port;
            var clients = new HashSet<int> { cp4, ((IPEndPoint)c6.LocalEndPoint).Port, ((IPEndPoint)c4b.LocalEndPoint).Port, tw.Port };

            var filters = new[]
            {
                new TcpTableFilter { LocalPorts = new[] { p4 } },
                new TcpTableFilter { LocalPorts = new[] { p4, p6, cp4 } },
                new TcpTableFilter { RemotePorts = new[] { p4 } },
                new TcpTableFilter { LocalPorts = new[] { cp4 }, RemotePorts = new[] { p4 } },
                new TcpTableFilter { RemotePorts = new[] { p4, p6 }, States = new[] { TcpState.Established } },
                new TcpTableFilter { States = new[] { TcpState.Listen } },
                new TcpTableFilter { States = new[] { TcpState.TimeWait, TcpState.Established }, RemotePorts = new[] { p4 } },
                new TcpTableFilter { LocalAddresses = new[] { "::1" }, LocalPorts = new[] { p6 } },
                new TcpTableFilter { RemoteAddresses = new[] { "0:0:0:0:0:0:0:1" } },
                new TcpTableFilter { LocalAddresses = new[] { "127.0.0.1" }, RemotePorts = new[] { p4 } },
                new TcpTableFilter { LocalPorts = new[] { 0 } }, // nothing binds port 0 except unbound sockets
            };
            foreach (var f in filters)
            {
                // The table moves (other tests run in parallel); compare on our own ports only, read twice
                // around the filtered read and accept rows present in both unfiltered reads.
                var before = Read(source).Where(r => Ours(r, p4, p6, clients)).Select(Key).ToHashSet();
                var filtered = Read(source, f).Where(r => Ours(r, p4, p6, clients)).Select(Key).ToHashSet();
                var after = Read(source).Where(r => Ours(r, p4, p6, clients)).Select(Key).ToHashSet();
                var expectedStable = before.Intersect(after).Where(k => MatchesInTest(k, f)).ToHashSet();
                var expectedAny = before.Union(after).Where(k => MatchesInTest(k, f)).ToHashSet();
                Assert.True(expectedStable.IsSubsetOf(filtered), $"missing rows for filter {Describe(f)}: {string.Join(", ", expectedStable.Except(filtered))}");
                Assert.True(filtered.IsSubsetOf(expectedAny), $"extra rows for filter {Describe(f)}: {string.Join(", ", filtered.Except(expectedAny))}");
            }
        }

        /// <summary>Rows of the test's own sockets, by address AND port: the listeners (127.0.0.1:p4, ::1:p6),
        /// client sides (local = one of our client ports, remote = the listener) and server sides (the reverse),
        /// both ends on the listener's loopback address. Other processes' rows on a busy machine reuse our port
        /// numbers, at 127.0.0.1 and at ::1 (a listener of theirs on ::1 can have the number of our IPv4 one),
        /// so neither a bare port match nor a port match without the address is enough.</summary>
        static bool Ours(TcpTableEntry r, int p4, int p6, HashSet<int> clientPorts)
        {
            int listenerPort = r.LocalAddress == "127.0.0.1" ? p4 : r.LocalAddress == "::1" ? p6 : -1;
            if (listenerPort < 0)
                return false;
            if (r.State == TcpState.Listen)
                return r.LocalPort == listenerPort;
            return r.RemoteAddress == r.LocalAddress
                && (r.LocalPort == listenerPort && clientPorts.Contains(r.RemotePort)
                    || r.RemotePort == listenerPort && clientPorts.Contains(r.LocalPort));
        }

        static bool MatchesInTest(string key, TcpTableFilter f)
        {
            var p = key.Split('|');
            string la = p[0], ra = p[2];
            int lp = int.Parse(p[1]), rp = int.Parse(p[3]);
            var st = Enum.Parse<TcpState>(p[4]);
            static string Canon(string s) => IPAddress.Parse(s).ToString();
            return (f.States == null || f.States.Contains(st))
                && (f.LocalPorts == null || f.LocalPorts.Contains(lp))
                && (f.RemotePorts == null || f.RemotePorts.Contains(rp))
                && (f.LocalAddresses == null || f.LocalAddresses.Select(Canon).Contains(la))
                && (f.RemoteAddresses == null || f.RemoteAddresses.Select(Canon).Contains(ra));
        }

        static string Describe(TcpTableFilter f) =>
            $"states={string.Join(",", f.States ?? new TcpState[0])} lp={string.Join(",", f.LocalPorts ?? new int[0])} rp={string.Join(",", f.RemotePorts ?? new int[0])} la={string.Join(",", f.LocalAddresses ?? new string[0])} ra={string.Join(",", f.RemoteAddresses ?? new string[0])}";

        [LinuxFact]
        public void NetlinkAndProcNetAgreeOnOurSockets()
        {
            using var net = new LoopbackSockets();
            var l4 = net.Listen(IPAddress.Loopback);
            var l6 = net.Listen(IPAddress.IPv6Loopback);
            var (a4, _) = net.Connect(l4);
            var (a6, _) = net.Connect(l6);
            var t4 = net.MakeTimeWait(l4);
            var t6 = net.MakeTimeWait(l6);
            int p4 = ((IPEndPoint)l4.LocalEndPoint).Port, p6 = ((IPEndPoint)l6.LocalEndPoint).Port;
            var clients = new HashSet<int> { ((IPEndPoint)a4.LocalEndPoint).Port, ((IPEndPoint)a6.LocalEndPoint).Port, t4.Port, t6.Port };
            HashSet<string> Set(TcpTableSource s) => Read(s).Where(r => Ours(r, p4, p6, clients)).Select(Key).ToHashSet();
            var a = Poll.Until(() => (Set(TcpTableSource.Netlink), Set(TcpTableSource.ProcNet)), t => t.Item1.SetEquals(t.Item2), Deadline);
            Assert.Equal(a.Item1.OrderBy(x => x), a.Item2.OrderBy(x => x));
            Assert.Equal(2 + 4 + 2, a.Item1.Count); // 2 listeners, 2 established pairs, 2 TIME_WAIT
        }

        [LinuxTheory]
        [InlineData(TcpTableSource.Netlink)]
        [InlineData(TcpTableSource.ProcNet)]
        public void ListenRowsOfThisProcessCarryItsPidAndName(TcpTableSource source)
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback);
            int port = ((IPEndPoint)l.LocalEndPoint).Port;
            var (c, _) = net.Connect(l);
            var rows = Read(source, new TcpTableFilter { LocalPorts = new[] { port } });
            var listen = Assert.Single(rows, r => r.State == TcpState.Listen);
            Assert.Equal(Environment.ProcessId, listen.OwningProcess);
            Assert.Equal(Process.GetCurrentProcess().ProcessName.Substring(0, Math.Min(15, Process.GetCurrentProcess().ProcessName.Length)), listen.ProcessName);
            Assert.True(listen.Inode > 0);
            // Every row with a socket has its owner, found when first read: the listener and the
            // accepted side (the rows of this local port) are both ours.
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.Equal(Environment.ProcessId, r.OwningProcess));

            // With OwningProcesses every row is resolved and filtered by PID.
            var mine = Read(source, new TcpTableFilter { LocalPorts = new[] { port, ((IPEndPoint)c.LocalEndPoint).Port }, OwningProcesses = new[] { Environment.ProcessId } });
            Assert.Equal(3, mine.Count);
            Assert.All(mine, r => Assert.Equal(Environment.ProcessId, r.OwningProcess));
            Assert.Empty(Read(source, new TcpTableFilter { LocalPorts = new[] { port }, OwningProcesses = new[] { int.MaxValue } }));

            // A negative id is a mistake, not a filter that matches nothing.
            var bad = Assert.Throws<TcpCloseException>(() => Read(source, new TcpTableFilter { OwningProcesses = new[] { -5 } }));
            Assert.Equal(ErrorIds.InvalidProcessId, bad.ErrorId);
        }

        [LinuxTheory]
        [InlineData(TcpTableSource.Netlink)]
        [InlineData(TcpTableSource.ProcNet)]
        public void StoppingEarlyLeaksNoFileDescriptors(TcpTableSource source)
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback);
            net.Connect(l);
            int port = ((IPEndPoint)l.LocalEndPoint).Port;
            int Fds() => System.IO.Directory.GetFileSystemEntries("/proc/self/fd").Length;
            TcpTable.Read(new TcpTableFilter { Source = source }).First(); // warm up (thread pool, JIT)
            int before = Fds();
            for (int i = 0; i < 200; i++)
            {
                Assert.NotNull(TcpTable.Read(new TcpTableFilter { Source = source }).First());
                Assert.NotEmpty(TcpTable.Read(new TcpTableFilter { LocalPorts = new[] { port }, Source = source }).Take(1).ToList());
            }
            // Other tests open sockets in parallel; 400 leaked reads would show far above that noise.
            Assert.InRange(Fds() - before, -100, 100);
        }

        [LinuxFact]
        public void ABoundButIdleSocketIsBoundThroughNetlink()
        {
            // TCP_BOUND_INACTIVE dumps exist since Linux 6.9; older kernels return no row for it.
            var v = Environment.OSVersion.Version;
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)s.LocalEndPoint).Port;
            var rows = Read(TcpTableSource.Netlink, new TcpTableFilter { States = new[] { TcpState.Bound }, LocalPorts = new[] { port } });
            if (v.Major > 6 || v.Major == 6 && v.Minor >= 9)
            {
                var row = Assert.Single(rows);
                Assert.Equal("127.0.0.1", row.LocalAddress);
                Assert.Equal(TcpState.Bound, row.State);
            }
            // Not asked for, not shown: a plain read leaves bound-only sockets out, as ss does.
            Assert.DoesNotContain(Read(TcpTableSource.Netlink, new TcpTableFilter { LocalPorts = new[] { port } }), r => r.State == TcpState.Bound);
        }

        [LinuxFact]
        public void ANamedSourceOfAnotherOsIsPlatformNotSupported()
        {
            var ex = Assert.Throws<TcpCloseException>(() => TcpTable.Read(new TcpTableFilter { Source = TcpTableSource.WindowsTcpTable }));
            Assert.Equal(ErrorIds.PlatformNotSupported, ex.ErrorId);
            Assert.Equal(TcpErrorCategory.NotImplemented, ex.Category);
        }

        [Fact]
        public void BadFilterValuesAreInvalidArguments()
        {
            var a = Assert.Throws<TcpCloseException>(() => TcpTable.Read(new TcpTableFilter { LocalAddresses = new[] { "not-an-ip" } }));
            Assert.Equal(ErrorIds.InvalidAddress, a.ErrorId);
            Assert.Equal(TcpErrorCategory.InvalidArgument, a.Category);
            var p = Assert.Throws<TcpCloseException>(() => TcpTable.Read(new TcpTableFilter { RemotePorts = new[] { 70000 } }));
            Assert.Equal(ErrorIds.InvalidPort, p.ErrorId);

            // The same address rules as the listener's: inet_aton shorthand is refused, URL brackets are not.
            var shorthand = Assert.Throws<TcpCloseException>(() => TcpTable.Read(new TcpTableFilter { LocalAddresses = new[] { "127.1" } }));
            Assert.Equal(ErrorIds.InvalidAddress, shorthand.ErrorId);
            Assert.Empty(TcpTable.Read(new TcpTableFilter { LocalAddresses = new[] { "[::1]" }, LocalPorts = new[] { 0 } }));
        }

        [UnixFact]
        public void IPGlobalPropertiesSourceFindsOurListener()
        {
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback);
            int port = ((IPEndPoint)l.LocalEndPoint).Port;
            var rows = Read(TcpTableSource.IPGlobalProperties, new TcpTableFilter { LocalPorts = new[] { port } });
            var row = Assert.Single(rows, r => r.State == TcpState.Listen);
            Assert.Equal("127.0.0.1", row.LocalAddress);
            Assert.Null(row.OwningProcess);
        }
    }
}
