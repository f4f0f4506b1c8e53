using System;

namespace TcpClose
{
    /// <summary>What one /proc/net/tcp line turned out to be.</summary>
    internal enum ProcNetLine
    {
        Row,
        /// <summary>The "  sl  local_address ..." title line or an empty line: nothing to report.</summary>
        Header,
        /// <summary>A line that does not follow the format; the reason is in the out parameter.</summary>
        Malformed,
    }

    /// <summary>
    /// Parses lines of /proc/net/tcp and /proc/net/tcp6 (net/ipv4/tcp_ipv4.c get_tcp4_sock,
    /// net/ipv6/tcp_ipv6.c get_tcp6_sock):
    /// <c>sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...</c>.
    /// Pure and total over the bytes it is given.
    /// </summary>
    internal static class ProcNetParser
    {
        /// <summary>USER_HZ: tm->when is printed in clock ticks of 1/100 s (jiffies_delta_to_clock_t).</summary>
        internal const int UserHz = 100;

        internal static ProcNetLine Parse(byte[] b, int start, int length, out RawTcpRow row, out string why)
        {
            row = default(RawTcpRow);
            why = null;
            if (b == null || start < 0 || length < 0 || start > b.Length || length > b.Length - start)
            {
                why = "/proc/net/tcp: line outside the buffer";
                return ProcNetLine.Malformed;
            }
            int end = start + length;
            int p = start;
            // field 0: "sl:" (slot number and colon); "sl" alone is the title line.
            if (!NextToken(b, ref p, end, out int ts, out int te))
                return ProcNetLine.Header;
            if (te - ts == 2 && b[ts] == (byte)'s' && b[ts + 1] == (byte)'l')
                return ProcNetLine.Header;
            if (b[te - 1] != (byte)':')
                return Bad(out why, "slot field does not end in ':'");

            if (!NextToken(b, ref p, end, out ts, out te) || !ParseEndpoint(b, ts, te, out row.Local, out row.LocalPort, out bool v6a))
                return Bad(out why, "bad local_address");
            if (!NextToken(b, ref p, end, out ts, out te) || !ParseEndpoint(b, ts, te, out row.Remote, out row.RemotePort, out bool v6b) || v6a != v6b)
                return Bad(out why, "bad rem_address");
            if (!NextToken(b, ref p, end, out ts, out te) || te - ts != 2 || !Hex(b, ts, te, out ulong st))
                return Bad(out why, "bad st");
            if (!NextToken(b, ref p, end, out ts, out te) || !HexPair(b, ts, te, out _, out _))
                return Bad(out why, "bad tx_queue:rx_queue");
            if (!NextToken(b, ref p, end, out ts, out te) || !HexPair(b, ts, te, out ulong tr, out ulong when))
                return Bad(out why, "bad tr:tm->when");
            if (!NextToken(b, ref p, end, out ts, out te) || !Hex(b, ts, te, out _))
                return Bad(out why, "bad retrnsmt");
            if (!NextToken(b, ref p, end, out ts, out te) || !Dec(b, ts, te, out _))
                return Bad(out why, "bad uid");
            if (!NextToken(b, ref p, end, out ts, out te) || !Dec(b, ts, te, out _))
                return Bad(out why, "bad timeout");
            if (!NextToken(b, ref p, end, out ts, out te) || !Dec(b, ts, te, out ulong inode))
                return Bad(out why, "bad inode");

            row.State = LinuxTcpStates.ToTcpState((int)st);
            // tr: 0 none, 1 retransmit, 2 keepalive (or SYN-ACK/probe), 3 TIME_WAIT, 4 zero-window probe.
            row.TimerMs = tr == 0 ? -1 : (long)Math.Min(when, (ulong)int.MaxValue) * (1000 / UserHz);
            row.Inode = (long)Math.Min(inode, (ulong)long.MaxValue);
            row.Pid = -1;
            return ProcNetLine.Row;
        }

        static ProcNetLine Bad(out string why, string what)
        {
            why = "/proc/net/tcp: " + what + "; line skipped";
            return ProcNetLine.Malformed;
        }

        static bool NextToken(byte[] b, ref int p, int end, out int ts, out int te)
        {
            while (p < end && (b[p] == (byte)' ' || b[p] == (byte)'\t' || b[p] == (byte)'\r'))
                p++;
            ts = p;
            while (p < end && b[p] != (byte)' ' && b[p] != (byte)'\t' && b[p] != (byte)'\r')
                p++;
            te = p;
            return te > ts;
        }

        /// <summary>"0100007F:1F90" (IPv4) or 32 hex digits ":" port (IPv6).</summary>
        /// <remarks>The kernel prints each 32-bit word of the address with %08X as the host reads the
        /// network-order bytes, so on a little-endian host every word is byte-swapped.</remarks>
        static bool ParseEndpoint(byte[] b, int ts, int te, out IPKey key, out int port, out bool v6)
        {
            key = default(IPKey);
            port = 0;
            v6 = false;
            int colon = Array.IndexOf(b, (byte)':', ts, te - ts);
            if (colon < 0 || te - colon - 1 != 4 || !Hex(b, colon + 1, te, out ulong pv))
                return false;
            port = (int)pv;
            int alen = colon - ts;
            if (alen == 8)
            {
                if (!Hex(b, ts, colon, out ulong w))
                    return false;
                key = IPKey.FromV4(ToNetworkOrder((uint)w));
                return true;
            }
            if (alen == 32)
            {
                v6 = true;
                ulong hi = 0, lo = 0;
                for (int i = 0; i < 4; i++)
                {
                    if (!Hex(b, ts + 8 * i, ts + 8 * i + 8, out ulong w))
                        return false;
                    ulong n = ToNetworkOrder((uint)w);
                    if (i < 2)
                        hi = hi << 32 | n;
                    else
                        lo = lo << 32 | n;
                }
                key = new IPKey(hi, lo);
                return true;
            }
            return false;
        }

        static uint ToNetworkOrder(uint hostWord)
        {
            if (!BitConverter.IsLittleEndian)
                return hostWord;
            return hostWord >> 24 | (hostWord >> 8 & 0xFF00) | (hostWord << 8 & 0xFF0000) | hostWord << 24;
        }

        static bool HexPair(byte[] b, int ts, int te, out ulong a, out ulong c)
        {
            a = c = 0;
            int colon = Array.IndexOf(b, (byte)':', ts, te - ts);
            return colon > ts && colon < te - 1 && Hex(b, ts, colon, out a) && Hex(b, colon + 1, te, out c);
        }

        static bool Hex(byte[] b, int ts, int te, out ulong v)
        {
            v = 0;
            if (te <= ts || te - ts > 16)
                return false;
            for (int i = ts; i < te; i++)
            {
                int c = b[i];
                int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                if (d < 0)
                    return false;
                v = v << 4 | (uint)d;
            }
            return true;
        }

        static bool Dec(byte[] b, int ts, int te, out ulong v)
        {
            v = 0;
            if (te <= ts || te - ts > 19)
                return false;
            for (int i = ts; i < te; i++)
            {
                int d = b[i] - '0';
                if (d < 0 || d > 9)
                    return false;
                v = v * 10 + (uint)d;
            }
            return true;
        }
    }
}
