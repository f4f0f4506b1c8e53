using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace TcpClose.Tests
{
    public class ProcNetParserTests
    {
        const string Header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
        const string Listen4 = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 21945 1 0000000000000000 100 0 0 10 0";
        // Measured on Linux 6.x: a TIME_WAIT row right after close, 0x1769 = 5993 ticks = 59.93 s.
        const string TimeWait4 = "   3: 0100007F:A2C4 0100007F:1F90 06 00000000:00000000 03:00001769 00000000     0        0 0 3 0000000000000000";
        const string Estab6 = "   1: 00000000000000000000000001000000:B5E2 0000000000000000FFFF00000100007F:0050 01 00000000:00000000 02:000AFC2D 00000000  1000        0 777 1 0000000000000000 20 4 30 10 -1";

        static ProcNetLine Parse(string line, out RawTcpRow row, out string why)
        {
            var b = Encoding.ASCII.GetBytes(line);
            return ProcNetParser.Parse(b, 0, b.Length, out row, out why);
        }

        [Fact]
        public void ParsesListenTimeWaitAndIPv6Lines()
        {
            var names = new AddressTextCache();
            Assert.Equal(ProcNetLine.Header, Parse(Header, out _, out _));
            Assert.Equal(ProcNetLine.Row, Parse(Listen4, out var l, out _));
            Assert.Equal("127.0.0.1", names.Get(l.Local));
            Assert.Equal(8080, l.LocalPort);
            Assert.Equal("0.0.0.0", names.Get(l.Remote));
            Assert.Equal(TcpState.Listen, l.State);
            Assert.Equal(21945, l.Inode);
            Assert.Equal(-1, l.TimerMs);

            Assert.Equal(ProcNetLine.Row, Parse(TimeWait4, out var t, out _));
            Assert.Equal(TcpState.TimeWait, t.State);
            Assert.Equal(41668, t.LocalPort);
            Assert.Equal(59930, t.TimerMs); // ticks of 1/100 s
            Assert.Equal(0, t.Inode);

            Assert.Equal(ProcNetLine.Row, Parse(Estab6, out var e, out _));
            Assert.Equal("::1", names.Get(e.Local));
            Assert.Equal("127.0.0.1", names.Get(e.Remote)); // ::ffff:127.0.0.1 shown as IPv4
            Assert.Equal(80, e.RemotePort);
            Assert.Equal(TcpState.Established, e.State);
        }

        [Theory]
        [InlineData("   0: 0100007F:1F90")]
        [InlineData("   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 21945")]
        [InlineData("   0 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 21945")]
        [InlineData("   0: 0100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 21945")]
        [InlineData("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 99999999999999999999999")]
        public void MalformedLinesAreReportedNotThrown(string line)
        {
            Assert.Equal(ProcNetLine.Malformed, Parse(line, out _, out string why));
            Assert.StartsWith("/proc/net/tcp:", why);
        }

        [Fact]
        public void FileReaderStreamsAcrossBufferBoundsAndSkipsBadLinesWithWarnings()
        {
            string path = Path.GetTempFileName();
            try
            {
                var sb = new StringBuilder();
                sb.Append(Header).Append('\n');
                for (int i = 0; i < 2000; i++) // ~300 KB: several 64 KiB buffer refills, lines cut at the edges
                    sb.Append(Listen4.Replace(":1F90", ":" + (1000 + i).ToString("X4"))).Append('\n');
                sb.Append("garbage line\n");
                sb.Append('x', 70000).Append('\n'); // longer than the buffer
                sb.Append(TimeWait4); // no final newline
                File.WriteAllText(path, sb.ToString());
                var messages = new List<string>();
                var w = new TcpTableWarnings(messages.Add);
                var rows = Native.LinuxProcNet.ReadFile(path, w).ToList();
                Assert.Equal(2001, rows.Count);
                Assert.Equal(Enumerable.Range(1000, 2000), rows.Take(2000).Select(r => r.LocalPort));
                Assert.Equal(TcpState.TimeWait, rows.Last().State);
                Assert.Equal(2, w.Count);
                Assert.Contains(messages, m => m.Contains("longer than 64 KiB"));
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Fact]
        public void AMissingTcp6FileIsAnEmptyTableButAMissingTcpFileIsRefused()
        {
            var w = new TcpTableWarnings(null);
            Assert.Throws<TcpSourceRefusedException>(() => Native.LinuxProcNet.ReadFile("/nonexistent/proc/net/tcp", w).ToList());
        }

        [Fact]
        public void FuzzRandomAndTruncatedLinesNeverThrow()
        {
            var rnd = new Random(1123);
            var lines = new List<string> { Header, Listen4, TimeWait4, Estab6 };
            foreach (var path in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
                if (File.Exists(path))
                    lines.AddRange(File.ReadLines(path).Take(50));
            var sw = Stopwatch.StartNew();
            int cases = 0;
            foreach (var line in lines)
            {
                var b = Encoding.ASCII.GetBytes(line);
                for (int cut = 0; cut <= b.Length; cut++)
                {
                    ProcNetParser.Parse(b, 0, cut, out _, out _);
                    ProcNetParser.Parse(b, b.Length - cut, cut, out _, out _);
                    cases += 2;
                }
                for (int n = 0; n < 300; n++)
                {
                    var c = (byte[])b.Clone();
                    for (int f = rnd.Next(1, 6); f > 0; f--)
                        { const string alphabet = " 0123456789ABCDEF:x\t\r\0"; c[rnd.Next(c.Length)] = (byte)alphabet[rnd.Next(alphabet.Length)]; }
                    var k = ProcNetParser.Parse(c, 0, c.Length, out _, out string why);
                    Assert.True(k != ProcNetLine.Malformed || why != null);
                    cases++;
                }
            }
            for (int n = 0; n < 5000; n++)
            {
                var b = new byte[rnd.Next(0, 300)];
                rnd.NextBytes(b);
                ProcNetParser.Parse(b, 0, b.Length, out _, out _);
                cases++;
            }
            // Offsets and lengths outside the buffer are malformed, not IndexOutOfRange.
            var small = new byte[10];
            Assert.Equal(ProcNetLine.Malformed, ProcNetParser.Parse(small, 5, 10, out _, out _));
            Assert.Equal(ProcNetLine.Malformed, ProcNetParser.Parse(small, -1, 2, out _, out _));
            Assert.Equal(ProcNetLine.Malformed, ProcNetParser.Parse(null, 0, 0, out _, out _));
            Assert.True(cases > 10000);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30));
        }
    }

    public class WindowsTcpTableParserTests
    {
        [Fact]
        public void ParsesOwnerPidRowsFromBytes()
        {
            // MIB_TCPTABLE_OWNER_PID with two rows: Listen 127.0.0.1:8080 pid 4242, TimeWait 10.0.0.1:50000 -> 10.0.0.2:443 pid 0.
            var t = new byte[4 + 2 * 24];
            BitConverter.GetBytes(2u).CopyTo(t, 0);
            BitConverter.GetBytes(2u).CopyTo(t, 4);
            new byte[] { 127, 0, 0, 1 }.CopyTo(t, 8);
            t[12] = 0x1F; t[13] = 0x90;
            BitConverter.GetBytes(4242u).CopyTo(t, 24);
            BitConverter.GetBytes(11u).CopyTo(t, 28);
            new byte[] { 10, 0, 0, 1 }.CopyTo(t, 32);
            t[36] = 0xC3; t[37] = 0x50;
            new byte[] { 10, 0, 0, 2 }.CopyTo(t, 40);
            t[44] = 0x01; t[45] = 0xBB;
            Assert.Equal(2, Native.WindowsTcpTable.RowCount(t, false));
            var names = new AddressTextCache();
            Assert.True(Native.WindowsTcpTable.TryParseRow(t, 0, false, out var a));
            Assert.Equal("127.0.0.1", names.Get(a.Local));
            Assert.Equal(8080, a.LocalPort);
            Assert.Equal(TcpState.Listen, a.State);
            Assert.Equal(4242, a.Pid);
            Assert.True(Native.WindowsTcpTable.TryParseRow(t, 1, false, out var b));
            Assert.Equal(TcpState.TimeWait, b.State);
            Assert.Equal(-1, b.Pid);
            Assert.Equal(50000, b.LocalPort);
            Assert.Equal("10.0.0.2", names.Get(b.Remote));
            Assert.Equal(443, b.RemotePort);
            Assert.False(Native.WindowsTcpTable.TryParseRow(t, 2, false, out _));

            // IPv6 row; a count larger than the bytes hold is clamped.
            var t6 = new byte[4 + 56];
            BitConverter.GetBytes(1000u).CopyTo(t6, 0);
            System.Net.IPAddress.IPv6Loopback.GetAddressBytes().CopyTo(t6, 4);
            t6[24] = 0x00; t6[25] = 0x50;
            BitConverter.GetBytes(5u).CopyTo(t6, 52);
            BitConverter.GetBytes(77u).CopyTo(t6, 56);
            Assert.Equal(1, Native.WindowsTcpTable.RowCount(t6, true));
            Assert.True(Native.WindowsTcpTable.TryParseRow(t6, 0, true, out var c));
            Assert.Equal("::1", names.Get(c.Local));
            Assert.Equal(80, c.LocalPort);
            Assert.Equal(TcpState.Established, c.State);
            Assert.Equal(77, c.Pid);
        }
    }
}

namespace TcpClose.Tests
{
    public class LinuxTcpStateTests
    {
        [Fact]
        public void StatesMapBothWays()
        {
            Assert.Equal(TcpState.TimeWait, LinuxTcpStates.ToTcpState(6));
            Assert.Equal(TcpState.Listen, LinuxTcpStates.ToTcpState(10));
            Assert.Equal(TcpState.SynReceived, LinuxTcpStates.ToTcpState(12)); // NEW_SYN_RECV request sockets
            Assert.Equal(TcpState.Bound, LinuxTcpStates.ToTcpState(13));
            Assert.Equal(TcpState.Unknown, LinuxTcpStates.ToTcpState(0));
            Assert.Equal(TcpState.Unknown, LinuxTcpStates.ToTcpState(200));
            Assert.Equal(1u << 6, LinuxTcpStates.ToMask(new[] { TcpState.TimeWait }));
            Assert.Equal(1u << 3 | 1u << 12, LinuxTcpStates.ToMask(new[] { TcpState.SynReceived }));
            Assert.Equal(1u << 13, LinuxTcpStates.ToMask(new[] { TcpState.Bound }));
            Assert.Equal(0u, LinuxTcpStates.ToMask(new[] { TcpState.DeleteTcb }));
            Assert.Equal(0x1FFEu, LinuxTcpStates.ToMask(null));
            Assert.Equal(TcpState.Bound, LinuxTcpStates.ToTcpState(7)); // what the bound-inactive walk reports
            Assert.Equal(0u, LinuxTcpStates.ToMask(new[] { TcpState.Closed }));
            for (int s = 1; s <= 13; s++)
                if (s != 7)
                    Assert.Equal(s == 3 || s == 12 ? 1u << 3 | 1u << 12 : 1u << s, LinuxTcpStates.ToMask(new[] { LinuxTcpStates.ToTcpState(s) }));
        }
    }
}
