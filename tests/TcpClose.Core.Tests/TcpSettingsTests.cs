using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using TcpClose.Native;
using Xunit;

namespace TcpClose.Tests
{
    public class TcpSettingsTests
    {
        /// <summary>What `sysctl -n NAME` prints, or null when sysctl refuses the name.</summary>
        static string Sysctl(string name)
        {
            var psi = new ProcessStartInfo("sysctl", "-n " + name) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(10000), "sysctl did not exit within 10 s");
            return p.ExitCode == 0 ? output.TrimEnd('\n') : null;
        }

        static TcpSetting Get(IReadOnlyList<TcpSetting> list, string name) => list.SingleOrDefault(s => s.Name == name);

        [LinuxFact]
        public void EveryLinuxSettingEqualsWhatSysctlPrints()
        {
            var settings = TcpSettings.Read();
            int compared = 0;
            foreach (var s in settings.Where(s => s.Name.StartsWith("net.", StringComparison.Ordinal)))
            {
                string printed = Sysctl(s.Name);
                Assert.True(printed != null, $"sysctl does not know {s.Name}");
                Assert.Equal(printed, s.RawValue);
                // The typed value, checked against sysctl's text parsed here independently.
                switch (s.Value)
                {
                    case int i:
                        Assert.Equal(int.Parse(printed), i);
                        break;
                    case TimeSpan t:
                        Assert.Equal(int.Parse(printed), s.Unit == "ms" ? t.TotalMilliseconds : t.TotalSeconds);
                        break;
                    case PortRange r:
                        var parts = printed.Split('\t');
                        Assert.Equal((int.Parse(parts[0]), int.Parse(parts[1])), (r.First, r.Last));
                        break;
                    case PortRange[] list:
                        Assert.Equal(printed, string.Join(",", list.Select(x => x.ToString())));
                        break;
                    default:
                        Assert.Fail($"{s.Name} has a value of type {s.Value?.GetType()}");
                        break;
                }
                Assert.Equal(LinuxSysctl.PathOf(s.Name), s.Source);
                compared++;
            }
            // Every sysctl of the list this kernel has is there (tcp_tw_reuse_delay only since 6.13).
            foreach (string name in TcpSettings.Names.Where(n => n.StartsWith("net.", StringComparison.Ordinal)))
                Assert.Equal(Sysctl(name) != null, Get(settings, name) != null);
            Assert.True(compared >= 7, $"only {compared} sysctls compared");
        }

        [LinuxFact]
        public void LinuxTimeWaitLengthIsTheCompiledInSixtySeconds()
        {
            var s = Get(TcpSettings.Read(), "TCP_TIMEWAIT_LEN");
            Assert.Equal(TimeSpan.FromSeconds(60), s.Value);
            Assert.True(s.IsDefault);
            Assert.Contains("include/net/tcp.h", s.Source);
            Assert.Null(s.RawValue);
        }

        [Fact]
        public void RecordedLinuxValuesParseToTypedValues()
        {
            var recorded = new Dictionary<string, string>
            {
                ["net.ipv4.tcp_tw_reuse"] = "0",
                ["net.ipv4.tcp_timestamps"] = "1",
                ["net.ipv4.tcp_max_tw_buckets"] = "262144",
                ["net.ipv4.tcp_fin_timeout"] = "30",
                ["net.ipv4.ip_local_port_range"] = "1024\t65000",
                ["net.ipv4.ip_local_reserved_ports"] = "8080,9000-9010",
                ["net.core.somaxconn"] = "128",
                // tcp_tw_reuse_delay missing: a kernel before 6.13.
            };
            var list = TcpSettings.FromLinux(n => recorded.TryGetValue(n, out var v) ? v : null);

            Assert.Null(Get(list, "net.ipv4.tcp_tw_reuse_delay"));
            Assert.Equal(0, Get(list, "net.ipv4.tcp_tw_reuse").Value);
            Assert.False(Get(list, "net.ipv4.tcp_tw_reuse").IsDefault);
            Assert.Equal(TimeSpan.FromSeconds(30), Get(list, "net.ipv4.tcp_fin_timeout").Value);
            Assert.Equal(new PortRange(1024, 65000), Get(list, "net.ipv4.ip_local_port_range").Value);
            Assert.Equal(new[] { new PortRange(8080, 8080), new PortRange(9000, 9010) }, (PortRange[])Get(list, "net.ipv4.ip_local_reserved_ports").Value);
            Assert.False(Get(list, "net.ipv4.ip_local_reserved_ports").IsDefault);
            Assert.Null(Get(list, "net.ipv4.tcp_max_tw_buckets").IsDefault); // no documented default: it scales with memory
            Assert.Equal(128, Get(list, "net.core.somaxconn").Value);

            var ports = TcpSettings.EphemeralPortsFrom(list);
            Assert.Equal(65000 - 1024 + 1 - 12, ports.Size4);
            Assert.Equal(ports.Size4, ports.Size6);
            Assert.False(ports.IsEphemeral(8080, false));
            Assert.True(ports.IsEphemeral(8081, true));
            Assert.False(ports.IsEphemeral(1023, false));
            Assert.Equal(0, ports.TimeWaitReuse);
        }

        [Theory]
        [InlineData("", 0)]
        [InlineData("8080", 1)]
        [InlineData("1-3,2-4", 2)]
        [InlineData("1-3,x", -1)]
        [InlineData("5-4", -1)]
        [InlineData("70000", -1)]
        public void ReservedPortListsParseOrAreRefused(string text, int ranges)
        {
            var parsed = TcpSettings.ParseLinuxPortList(text);
            Assert.Equal(ranges, parsed?.Length ?? -1);
        }

        [Fact]
        public void OverlappingReservedRangesAreCountedOnce()
        {
            var range = new PortRange(100, 199);
            Assert.Equal(0, range.CountOverlap(Array.Empty<PortRange>()));
            Assert.Equal(6, range.CountOverlap(new[] { new PortRange(95, 105), new PortRange(100, 101), new PortRange(300, 400) })); // 100..105
            Assert.Equal(100, range.CountOverlap(new[] { new PortRange(0, 65535), new PortRange(150, 150) }));
            Assert.Equal(4, new PortRange(1, 10).CountOverlap(TcpSettings.ParseLinuxPortList("1-3,2-4")));
        }

        const string NetshEnglish = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n";
        const string NetshGerman = "\r\nProtokoll tcp Dynamischer Portbereich\r\n---------------------------------\r\nStartport       : 10000\r\nAnzahl Ports    : 1000\r\n";

        [Fact]
        public void RecordedWindowsValuesParse()
        {
            var list = TcpSettings.FromWindows(null, null, NetshEnglish, NetshGerman);
            var delay = Get(list, "TcpTimedWaitDelay");
            Assert.Equal(TimeSpan.FromSeconds(120), delay.Value);
            Assert.True(delay.IsDefault);
            Assert.Contains("absent", delay.Source);
            Assert.Null(delay.RawValue);
            Assert.Equal(new PortRange(49152, 65535), Get(list, "DynamicPortRangeIPv4").Value);
            Assert.True(Get(list, "DynamicPortRangeIPv4").IsDefault);
            Assert.Equal(new PortRange(10000, 10999), Get(list, "DynamicPortRangeIPv6").Value);
            Assert.Null(Get(list, "MaxUserPort")); // absent: left out

            var ports = TcpSettings.EphemeralPortsFrom(list);
            Assert.Equal(16384, ports.Size4);
            Assert.Equal(1000, ports.Size6);
            Assert.Null(ports.TimeWaitReuse);
        }

        [Theory]
        [InlineData(60u, 60)]
        [InlineData(5u, 30)]      // the stack clamps to 30..300 s
        [InlineData(1000u, 300)]
        public void TcpTimedWaitDelayIsClampedAndMarkedNotDefault(uint registry, int seconds)
        {
            var delay = Get(TcpSettings.FromWindows(registry, 65534, null, null), "TcpTimedWaitDelay");
            Assert.Equal(TimeSpan.FromSeconds(seconds), delay.Value);
            Assert.False(delay.IsDefault);
            Assert.Equal(registry.ToString(), delay.RawValue);
            Assert.DoesNotContain("absent", delay.Source);
        }

        [Fact]
        public void WindowsWithoutNetshLeavesTheRangesOutAndShowsMaxUserPortWhenSet()
        {
            var list = TcpSettings.FromWindows(null, 65534, null, "garbage");
            Assert.Null(Get(list, "DynamicPortRangeIPv4"));
            Assert.Null(Get(list, "DynamicPortRangeIPv6"));
            Assert.Equal(65534, Get(list, "MaxUserPort").Value);
        }

        [Theory]
        [InlineData(NetshEnglish, 49152, 65535)]
        [InlineData(NetshGerman, 10000, 10999)]
        [InlineData("Start Port : 60000\nNumber of Ports : 10000\n", -1, -1)] // past 65535
        [InlineData("The following command was not found: interface ipv4 show dynamicport tcp.", -1, -1)]
        [InlineData("", -1, -1)]
        public void NetshOutputParses(string text, int first, int last)
        {
            var r = WindowsTcpSettings.ParseNetshDynamicPort(text);
            Assert.Equal((first, last), r == null ? (-1, -1) : (r.First, r.Last));
        }

        [Fact]
        public void RecordedMacValuesParse()
        {
            var list = TcpSettings.FromMac(15000, 49152, 65535);
            Assert.Equal(TimeSpan.FromSeconds(15), Get(list, "net.inet.tcp.msl").Value);
            Assert.True(Get(list, "net.inet.tcp.msl").IsDefault);
            Assert.Equal("15000", Get(list, "net.inet.tcp.msl").RawValue);
            Assert.Equal(49152, Get(list, "net.inet.ip.portrange.first").Value);
            Assert.Equal(16384, TcpSettings.EphemeralPortsFrom(list).Size4);

            list = TcpSettings.FromMac(null, 10000, null);
            Assert.Single(list);
            Assert.False(Get(list, "net.inet.ip.portrange.first").IsDefault);
        }

        [Fact]
        public void ValuesShowAsAdminsReadThem()
        {
            Assert.Equal("60 s", TcpSetting.Show(TimeSpan.FromSeconds(60)));
            Assert.Equal("0.5 s", TcpSetting.Show(TimeSpan.FromMilliseconds(500)));
            Assert.Equal("32768-60999", TcpSetting.Show(new PortRange(32768, 60999)));
            Assert.Equal("(none)", TcpSetting.Show(Array.Empty<PortRange>()));
            Assert.Equal("8080,9000-9010", TcpSetting.Show(new[] { new PortRange(8080, 8080), new PortRange(9000, 9010) }));
            Assert.Equal("", TcpSetting.Show(null));
        }

        [Fact]
        public void TheTableReadersEstimateWithTheSameTimeWaitLength()
        {
            TimeSpan length = TcpSettings.TimeWaitLength();
            if (OperatingSystem.IsLinux())
                Assert.Equal(TimeSpan.FromSeconds(60), length);
            else if (OperatingSystem.IsWindows())
                Assert.Equal(Get(TcpSettings.Read(), "TcpTimedWaitDelay").Value, length);
            else
                Assert.InRange(length, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(20));
        }
    }
}
