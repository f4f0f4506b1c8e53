using Xunit;

namespace TcpClose.Tests
{
    /// <summary>The counter readers of each OS from recorded or laid-out raw data, and the deltas of -Since.</summary>
    public class StatisticsTests
    {
        // Recorded on Linux 6.18 (the Tcp pair of /proc/net/snmp, the start of /proc/net/netstat's TcpExt pair).
        const string Snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\n" +
            "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n" +
            "Tcp: 1 200 120000 -1 1077 805 187 793 0 16477 12523 33 0 695 0\n" +
            "Udp: InDatagrams NoPorts\nUdp: 5 0\n";
        const string Netstat = "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive ListenOverflows ListenDrops TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPTimeWaitOverflow TCPReqQFullDrop TCPSynRetrans\n" +
            "TcpExt: 0 0 0 0 0 0 0 0 0 0 444 0 0 0 4 4 378 22 0 0 0 0 0 0 0\n" +
            "IpExt: InNoRoutes InOctets\nIpExt: 0 100\n";

        static readonly DateTime At = new DateTime(2026, 12, 4, 12, 0, 0, DateTimeKind.Utc);

        [Fact]
        public void LinuxCountersComeFromTheTcpAndTcpExtLinesWithNstatsNames()
        {
            var all = TcpStatistics.FromLinux(Snmp, Netstat, At);
            TcpStatistic Find(string kernel) => Assert.Single(all, s => s.KernelName == kernel);
            Assert.Equal(1077, Find("TcpActiveOpens").Value);
            Assert.Equal("ActiveOpens", Find("TcpActiveOpens").Name);
            Assert.Equal(-1, Find("TcpMaxConn").Value);
            Assert.True(Find("TcpMaxConn").IsGauge);
            Assert.Equal(695, Find("TcpOutRsts").Value);
            Assert.Equal(444, Find("TcpExtTW").Value);
            Assert.Equal(22, Find("TcpExtTCPAbortOnClose").Value);
            Assert.Equal("/proc/net/netstat", Find("TcpExtTCPAbortOnClose").Source);
            Assert.Contains("unread", Find("TcpExtTCPAbortOnClose").Description);
            Assert.Contains("-Abort", Find("TcpExtTCPAbortOnData").Description);
            Assert.DoesNotContain(all, s => s.KernelName.StartsWith("Udp") || s.KernelName.StartsWith("Ip"));
            Assert.Equal(15 + 25, all.Count);
        }

        [Fact]
        public void TheDefaultSetComesFirstInItsOrderAndHasNoGauge()
        {
            var all = TcpStatistics.FromLinux(Snmp, Netstat, At);
            var defaults = all.Where(TcpStatistics.IsDefault).Select(s => s.Name).ToList();
            Assert.Equal(new[]
            {
                "ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "OutRsts", "ListenOverflows", "ListenDrops", "TCPReqQFullDrop",
                "TCPSynRetrans", "TCPAbortOnData", "TCPAbortOnClose", "TCPAbortOnMemory", "TCPAbortOnTimeout", "TCPAbortOnLinger",
                "TCPAbortFailed", "TW", "TWRecycled", "TWKilled", "TCPTimeWaitOverflow", "RetransSegs",
            }, defaults);
            Assert.Equal(defaults, all.Take(defaults.Count).Select(s => s.Name));
            Assert.All(all.Where(TcpStatistics.IsDefault), s => Assert.False(s.IsGauge));
        }

        [Fact]
        public void MissingOrMalformedFilesAreStatisticsUnavailable()
        {
            var e = Assert.Throws<TcpCloseException>(() => TcpStatistics.FromLinux("Ip: a\nIp: 1\n", "", At));
            Assert.Equal(ErrorIds.StatisticsUnavailable, e.ErrorId);
        }

        [Fact]
        public void WindowsCountersAreTheTwoFamiliesSummedFromMibTcpStats2()
        {
            // MIB_TCPSTATS2 as tcpmib.h lays it out: nine DWORDs, dw64InSegs at 40, dw64OutSegs at 48, four DWORDs from 56.
            byte[] Stats2(uint active, uint passive, uint fails, uint resets, uint estab, ulong inSegs, ulong outSegs, uint retrans, uint inErrs, uint rsts, uint conns)
            {
                var b = new byte[72];
                void Put(int at, uint v) => BitConverter.GetBytes(v).CopyTo(b, at);
                Put(0, 4); Put(4, 300); Put(8, 120000); Put(12, uint.MaxValue);
                Put(16, active); Put(20, passive); Put(24, fails); Put(28, resets); Put(32, estab);
                BitConverter.GetBytes(inSegs).CopyTo(b, 40);
                BitConverter.GetBytes(outSegs).CopyTo(b, 48);
                Put(56, retrans); Put(60, inErrs); Put(64, rsts); Put(68, conns);
                return b;
            }
            var all = TcpStatistics.FromWindows(Stats2(10, 20, 3, 4, 5, 5_000_000_000, 6, 7, 8, 9, 11), Stats2(1, 2, 0, 1, 1, 1, 1, 0, 0, 1, 2), true, At);
            long Value(string name) => Assert.Single(all, s => s.Name == name).Value;
            Assert.Equal(11, Value("ActiveOpens"));
            Assert.Equal(22, Value("PassiveOpens"));
            Assert.Equal(3, Value("AttemptFails"));
            Assert.Equal(5, Value("EstabResets"));
            Assert.Equal(10, Value("OutRsts"));
            Assert.Equal(7, Value("RetransSegs"));
            Assert.Equal(5_000_000_001, Value("InSegs"));
            Assert.Equal(13, Value("NumConns"));
            Assert.Equal("dwOutRsts", Assert.Single(all, s => s.Name == "OutRsts").KernelName);
            Assert.Equal("GetTcpStatisticsEx2", all[0].Source);
            Assert.True(Assert.Single(all, s => s.Name == "CurrEstab").IsGauge);
            Assert.DoesNotContain("somaxconn", Assert.Single(TcpStatistics.FromWindows(Stats2(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), null, true, At), s => s.Name == "ActiveOpens").Description);
        }

        [Fact]
        public void WindowsCountersFromTheOlderMibTcpStatsHaveTheirOwnOffsets()
        {
            var b = new byte[60];
            for (int i = 0; i < 15; i++)
                BitConverter.GetBytes((uint)(100 + i)).CopyTo(b, i * 4);
            var all = TcpStatistics.FromWindows(b, null, false, At);
            Assert.Equal(104, Assert.Single(all, s => s.Name == "ActiveOpens").Value);
            Assert.Equal(109, Assert.Single(all, s => s.Name == "InSegs").Value);
            Assert.Equal(111, Assert.Single(all, s => s.Name == "RetransSegs").Value);
            Assert.Equal(113, Assert.Single(all, s => s.Name == "OutRsts").Value);
            Assert.Equal("GetTcpStatisticsEx", all[0].Source);
        }

        [Fact]
        public void MacCountersComeFromStructTcpstatInTheDocumentedOrder()
        {
            // struct tcpstat (bsd/netinet/tcp_var.h): u_int32_t members; a longer struct than the 64 named here.
            var raw = new byte[4 * 200];
            for (int i = 0; i < 200; i++)
                BitConverter.GetBytes((uint)(1000 + i)).CopyTo(raw, i * 4);
            var all = TcpStatistics.FromMac(raw, At);
            Assert.Equal(64, all.Count);
            Assert.Equal(1000, Assert.Single(all, s => s.KernelName == "tcps_connattempt").Value);
            Assert.Equal("ActiveOpens", Assert.Single(all, s => s.KernelName == "tcps_connattempt").Name);
            Assert.Equal("PassiveOpens", Assert.Single(all, s => s.KernelName == "tcps_accepts").Name);
            Assert.Equal(1004, Assert.Single(all, s => s.Name == "AttemptFails").Value);
            Assert.Equal(1018, Assert.Single(all, s => s.Name == "RetransSegs").Value);
            Assert.Equal(1060, Assert.Single(all, s => s.Name == "ListenOverflows").Value);
            Assert.Equal(1063, Assert.Single(all, s => s.KernelName == "tcps_badrst").Value);
            Assert.True(TcpStatistics.IsDefault(Assert.Single(all, s => s.Name == "Drops")));
            Assert.False(TcpStatistics.IsDefault(Assert.Single(all, s => s.KernelName == "tcps_segstimed")));
            Assert.Equal(3, TcpStatistics.FromMac(raw.Take(12).ToArray(), At).Count);
        }

        static TcpStatistics.Earlier Before(TcpStatistic s, long value, DateTime at, string computer = null, long? ns = null) => new TcpStatistics.Earlier
        {
            KernelName = s.KernelName, Value = value, ObservedAt = at, ComputerName = computer ?? s.ComputerName, NetworkNamespaceId = ns ?? s.NetworkNamespaceId,
        };

        [Fact]
        public void SinceGivesDeltasAndRatesAndNeverANegativeDelta()
        {
            var now = TcpStatistics.FromLinux(Snmp, Netstat, At);
            TcpStatistic tw = now.Single(s => s.Name == "TW"), rsts = now.Single(s => s.Name == "OutRsts"), estab = now.Single(s => s.Name == "CurrEstab");
            TcpStatistics.Since(now, new[] { Before(tw, 434, At.AddSeconds(-5)), Before(rsts, 700, At.AddSeconds(-5)), Before(estab, 3, At.AddSeconds(-5)) });
            Assert.Equal(10, tw.Delta);
            Assert.Equal(2.0, tw.PerSecond);
            Assert.Null(tw.Note);
            Assert.Null(rsts.Delta);
            Assert.Contains("backwards", rsts.Note);
            Assert.Null(estab.Delta);
            Assert.Contains("gauge", estab.Note);
            Assert.Null(now.Single(s => s.Name == "ActiveOpens").Delta); // not in the earlier reading
        }

        [Fact]
        public void SinceFromAnotherComputerOrNamespaceIsInvalidSince()
        {
            var now = TcpStatistics.FromLinux(Snmp, Netstat, At);
            foreach (TcpStatistic s in now)
                s.NetworkNamespaceId = 4026531840;
            TcpStatistic tw = now.Single(s => s.Name == "TW");
            var e = Assert.Throws<TcpCloseException>(() => TcpStatistics.Since(now, new[] { Before(tw, 1, At, computer: "elsewhere") }));
            Assert.Equal(ErrorIds.InvalidSince, e.ErrorId);
            Assert.Contains("elsewhere", e.Message);
            e = Assert.Throws<TcpCloseException>(() => TcpStatistics.Since(now, new[] { Before(tw, 1, At, ns: 4026532999) }));
            Assert.Equal(ErrorIds.InvalidSince, e.ErrorId);
            Assert.Contains("net:[4026532999]", e.Message);
            e = Assert.Throws<TcpCloseException>(() => TcpStatistics.Since(now, new[] { new TcpStatistics.Earlier { KernelName = "dwOutRsts", Value = 1, ObservedAt = At } }));
            Assert.Contains("none of its counters", e.Message);
            // Readings of several namespaces at once: only this one's are used.
            TcpStatistics.Since(now, new[] { Before(tw, 1, At, ns: 4026532999), Before(tw, 440, At.AddSeconds(-1)) });
            Assert.Equal(4, tw.Delta);
        }
    }
}
