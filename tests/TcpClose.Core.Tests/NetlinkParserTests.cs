using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using TcpClose.Native;
using Xunit;

namespace TcpClose.Tests
{
    public class NetlinkParserTests
    {
        /// <summary>One nlmsghdr + inet_diag_msg, built by hand.</summary>
        static byte[] DiagMessage(byte family, byte state, byte timer, int sport, int dport, byte[] src, byte[] dst, uint expires, uint inode, uint seq = 7)
        {
            var b = new byte[16 + 72];
            BitConverter.GetBytes((uint)b.Length).CopyTo(b, 0);
            BitConverter.GetBytes((ushort)20).CopyTo(b, 4);
            BitConverter.GetBytes((ushort)2).CopyTo(b, 6); // NLM_F_MULTI
            BitConverter.GetBytes(seq).CopyTo(b, 8);
            int o = 16;
            b[o] = family; b[o + 1] = state; b[o + 2] = timer;
            b[o + 4] = (byte)(sport >> 8); b[o + 5] = (byte)sport;
            b[o + 6] = (byte)(dport >> 8); b[o + 7] = (byte)dport;
            src.CopyTo(b, o + 8);
            dst.CopyTo(b, o + 24);
            BitConverter.GetBytes(expires).CopyTo(b, o + 52);
            BitConverter.GetBytes(inode).CopyTo(b, o + 68);
            return b;
        }

        static byte[] Done(uint seq = 7)
        {
            var b = new byte[20];
            BitConverter.GetBytes(20u).CopyTo(b, 0);
            BitConverter.GetBytes((ushort)3).CopyTo(b, 4);
            BitConverter.GetBytes(seq).CopyTo(b, 8);
            return b;
        }

        static byte[] Error(int errno, uint seq = 7)
        {
            var b = new byte[36];
            BitConverter.GetBytes(36u).CopyTo(b, 0);
            BitConverter.GetBytes((ushort)2).CopyTo(b, 4);
            BitConverter.GetBytes(seq).CopyTo(b, 8);
            BitConverter.GetBytes(-errno).CopyTo(b, 16);
            return b;
        }

        /// <summary>Walks a datagram to its end; bounded so a parser bug fails instead of hanging.</summary>
        static (List<RawTcpRow> Rows, List<NetlinkItem> Items) Walk(byte[] buf, int count, uint seq = 0)
        {
            var c = new InetDiagResponse { ExpectedSeq = seq };
            c.Reset(buf, count);
            var rows = new List<RawTcpRow>();
            var items = new List<NetlinkItem>();
            for (int i = 0; i < 100000; i++)
            {
                var k = c.Next(out RawTcpRow r);
                items.Add(k);
                if (k == NetlinkItem.Row)
                    rows.Add(r);
                if (k == NetlinkItem.End || k == NetlinkItem.Done || k == NetlinkItem.Error)
                    return (rows, items);
            }
            throw new Xunit.Sdk.XunitException("parser did not reach the end of the datagram");
        }

        [Fact]
        public void ParsesIPv4AndIPv6RowsThenDone()
        {
            var v4 = DiagMessage(2, 6, 3, 40000, 8080, new byte[] { 127, 0, 0, 1 }.Concat(new byte[12]).ToArray(), new byte[] { 10, 1, 2, 3 }.Concat(new byte[12]).ToArray(), 59000, 0);
            var mapped = IPAddress.Parse("::ffff:192.168.1.2").GetAddressBytes();
            var v6 = DiagMessage(10, 10, 0, 443, 0, IPAddress.IPv6Loopback.GetAddressBytes(), mapped, 0, 12345);
            var buf = v4.Concat(v6).Concat(Done()).ToArray();
            var (rows, items) = Walk(buf, buf.Length, 7);
            Assert.Equal(new[] { NetlinkItem.Row, NetlinkItem.Row, NetlinkItem.Done }, items);
            var names = new AddressTextCache();
            Assert.Equal("127.0.0.1", names.Get(rows[0].Local));
            Assert.Equal("10.1.2.3", names.Get(rows[0].Remote));
            Assert.Equal(40000, rows[0].LocalPort);
            Assert.Equal(8080, rows[0].RemotePort);
            Assert.Equal(TcpState.TimeWait, rows[0].State);
            Assert.Equal(59000, rows[0].TimerMs);
            Assert.Equal("::1", names.Get(rows[1].Local));
            Assert.Equal("192.168.1.2", names.Get(rows[1].Remote)); // IPv4-mapped shown as IPv4
            Assert.Equal(TcpState.Listen, rows[1].State);
            Assert.Equal(-1, rows[1].TimerMs);
            Assert.Equal(12345, rows[1].Inode);
        }

        [Fact]
        public void ErrorCarriesThePositiveErrno()
        {
            var buf = Error(13);
            var c = new InetDiagResponse();
            c.Reset(buf, buf.Length);
            Assert.Equal(NetlinkItem.Error, c.Next(out _));
            Assert.Equal(13, c.Errno);
        }

        [Fact]
        public void MessagesOfAnotherSequenceAreIgnored()
        {
            var buf = DiagMessage(2, 1, 0, 1, 2, new byte[16], new byte[16], 0, 1, seq: 99).Concat(Done(7)).ToArray();
            var (rows, items) = Walk(buf, buf.Length, 7);
            Assert.Empty(rows);
            Assert.Equal(NetlinkItem.Done, items.Last());
        }

        [Fact]
        public void ShortRowAndOddFamilyAreSkippedWithAWarning()
        {
            var good = DiagMessage(2, 1, 0, 1, 2, new byte[16], new byte[16], 0, 1);
            var odd = DiagMessage(1, 1, 0, 1, 2, new byte[16], new byte[16], 0, 1); // AF_UNIX
            var shortMsg = new byte[16 + 40];
            BitConverter.GetBytes((uint)shortMsg.Length).CopyTo(shortMsg, 0);
            BitConverter.GetBytes((ushort)20).CopyTo(shortMsg, 4);
            var buf = odd.Concat(shortMsg).Concat(good).ToArray();
            var c = new InetDiagResponse();
            c.Reset(buf, buf.Length);
            Assert.Equal(NetlinkItem.Skipped, c.Next(out _));
            Assert.Contains("family", c.Warning);
            Assert.Equal(NetlinkItem.Skipped, c.Next(out _));
            Assert.Contains("shorter", c.Warning);
            Assert.Equal(NetlinkItem.Row, c.Next(out _));
            Assert.Equal(NetlinkItem.End, c.Next(out _));
        }

        [Fact]
        public void FuzzRandomAndTruncatedInputsNeverThrowOrHang()
        {
            var rnd = new Random(20261123);
            var samples = new List<byte[]>();
            var real = CaptureRealDatagram();
            if (real != null)
                samples.Add(real);
            var synthetic = Enumerable.Range(0, 5).SelectMany(i => DiagMessage((byte)(i % 2 == 0 ? 2 : 10), (byte)(i + 1), (byte)(i % 5), i * 1000, 80, new byte[16], new byte[16], (uint)i, (uint)i)).Concat(Done()).ToArray();
            samples.Add(synthetic);
            var sw = Stopwatch.StartNew();
            int cases = 0;
            foreach (var sample in samples)
            {
                var full = Walk(sample, sample.Length).Rows;
                // Every truncation: rows from the valid prefix come out, the rest is dropped with a warning.
                for (int cut = 0; cut <= sample.Length; cut++)
                {
                    var (rows, _) = Walk(sample, cut);
                    Assert.True(rows.Count <= full.Count);
                    for (int i = 0; i < rows.Count; i++)
                        Assert.Equal(full[i].Inode, rows[i].Inode);
                    cases++;
                }
                // Random corruption of a real message: bytes flipped, lengths changed.
                for (int n = 0; n < 3000; n++)
                {
                    var b = (byte[])sample.Clone();
                    int flips = rnd.Next(1, 8);
                    for (int f = 0; f < flips; f++)
                        b[rnd.Next(b.Length)] = (byte)rnd.Next(256);
                    Walk(b, rnd.Next(b.Length + 1));
                    cases++;
                }
            }
            for (int n = 0; n < 5000; n++)
            {
                var b = new byte[rnd.Next(0, 400)];
                rnd.NextBytes(b);
                if (b.Length >= 8 && rnd.Next(2) == 0)
                {
                    BitConverter.GetBytes((uint)rnd.Next(0, b.Length + 8)).CopyTo(b, 0);
                    BitConverter.GetBytes((ushort)rnd.Next(0, 25)).CopyTo(b, 4);
                }
                Walk(b, b.Length);
                Walk(b, rnd.Next(-5, b.Length + 5)); // counts outside the buffer are clamped
                cases += 2;
            }
            Assert.True(cases > 10000);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), "fuzzing took " + sw.Elapsed);
        }

        /// <summary>One datagram of a real AF_INET dump from this kernel (null off Linux).</summary>
        static byte[] CaptureRealDatagram()
        {
            if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux))
                return null;
            using var net = new LoopbackSockets();
            var l = net.Listen(IPAddress.Loopback);
            net.Connect(l);
            int fd = LinuxNetlink.Open();
            Assert.True(fd >= 0);
            try
            {
                Assert.Equal(0, LinuxNetlink.Send(fd, InetDiagRequest.Build(LinuxNetlink.AF_INET, LinuxTcpStates.AllDumpStates, null, 7)));
                var buf = new byte[NetlinkTcpReader.BufferSize];
                int n = LinuxNetlink.Receive(fd, buf);
                Assert.True(n > 16);
                return buf.Take(n).ToArray();
            }
            finally
            {
                LinuxNetlink.close(fd);
            }
        }

        [LinuxTheory]
        [InlineData(true)]
        [InlineData(false)]
        public void KernelAppliesThePortBytecode(bool compat)
        {
            using var net = new LoopbackSockets();
            var l1 = net.Listen(IPAddress.Loopback);
            var l2 = net.Listen(IPAddress.Loopback);
            var l3 = net.Listen(IPAddress.IPv6Loopback);
            var (c1, _) = net.Connect(l1);
            net.Connect(l2);
            net.Connect(l3);
            int p1 = ((IPEndPoint)l1.LocalEndPoint).Port, p2 = ((IPEndPoint)l2.LocalEndPoint).Port, p3 = ((IPEndPoint)l3.LocalEndPoint).Port;
            int cp1 = ((IPEndPoint)c1.LocalEndPoint).Port;
            var w = new TcpTableWarnings(null);
            // Raw reader rows: no user-space filter, so whatever comes back passed the kernel's bytecode.
            // TIME_WAIT left out: on a busy machine other TIME_WAIT rows may reuse our port numbers.
            const uint live = LinuxTcpStates.AllDumpStates & ~(1u << LinuxTcpStates.TimeWait);
            List<RawTcpRow> Raw(int[] lp, int[] rp) =>
                NetlinkTcpReader.Read(live, 0, 0, InetDiagRequest.BuildPortBytecode(lp, rp), w, compat).ToList();

            var one = Raw(new[] { p1 }, null);
            Assert.Equal(2, one.Count); // the listener and the accepted socket
            Assert.All(one, r => Assert.Equal(p1, r.LocalPort));

            var three = Raw(new[] { p1, p2, p3 }, null);
            Assert.Equal(6, three.Count);

            var remote = Raw(null, new[] { p1, p3 });
            Assert.Equal(2, remote.Count);
            Assert.All(remote, r => Assert.Contains(r.RemotePort, new[] { p1, p3 }));

            var both = Raw(new[] { cp1, p2 }, new[] { p1 });
            var row = Assert.Single(both);
            Assert.Equal(cp1, row.LocalPort);

            Assert.Empty(Raw(new[] { p1 }, new[] { p2 }));
            Assert.Empty(Raw(new[] { 70000 }, null)); // out of range: the always-reject program

            // One port per side through the request's sockid instead of bytecode.
            var bySockid = NetlinkTcpReader.Read(live, p1, 0, null, w, compat).ToList();
            Assert.Equal(2, bySockid.Count);
            Assert.All(bySockid, r => Assert.Equal(p1, r.LocalPort));
            var byDport = NetlinkTcpReader.Read(live, 0, p3, null, w, compat).ToList();
            Assert.All(byDport, r => Assert.Equal(p3, r.RemotePort));
            Assert.Single(byDport);
            var mixed = NetlinkTcpReader.Read(live, cp1, 0, InetDiagRequest.BuildPortBytecode(null, new[] { p1, p2 }), w, compat).ToList();
            Assert.Equal(cp1, Assert.Single(mixed).LocalPort);
            Assert.Equal(0, w.Count); // in particular no fall-back from the compat dump

            // Both dump styles return the same rows for the same query.
            var viaCompat = NetlinkTcpReader.Read(live, 0, 0, InetDiagRequest.BuildPortBytecode(new[] { p1, p2, p3 }, null), w, true).Select(r => (r.LocalPort, r.RemotePort, r.State, r.Inode)).OrderBy(x => x).ToList();
            var perFamily = NetlinkTcpReader.Read(live, 0, 0, InetDiagRequest.BuildPortBytecode(new[] { p1, p2, p3 }, null), w, false).Select(r => (r.LocalPort, r.RemotePort, r.State, r.Inode)).OrderBy(x => x).ToList();
            Assert.Equal(perFamily, viaCompat);
        }

        [Fact]
        public void BytecodeIsNullWithoutPortsAndJumpsStayInside()
        {
            Assert.Null(InetDiagRequest.BuildPortBytecode(null, new int[0]));
            var prog = InetDiagRequest.BuildPortBytecode(new[] { 1, 2, 3 }, new[] { 4, 5 });
            Assert.NotNull(prog);
            Assert.Equal(0, prog.Length % 4);
            // Every op's "yes" lands on an op or the end; every "no" on an op, the end, or end + 4 (reject).
            var starts = new HashSet<int>();
            for (int pos = 0; pos < prog.Length; pos += prog[pos + 1])
            {
                starts.Add(pos);
                Assert.True(prog[pos + 1] >= 4);
            }
            foreach (int pos in starts)
            {
                int no = prog[pos + 2] | prog[pos + 3] << 8;
                int target = pos + no;
                Assert.True(starts.Contains(target) || target == prog.Length || target == prog.Length + 4, $"op at {pos} jumps to {target}");
            }
            Assert.Null(InetDiagRequest.BuildPortBytecode(Enumerable.Range(1, 5000).ToArray(), null)); // too long: user space filters
        }
    }
}
