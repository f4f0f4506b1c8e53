using System;
using System.Runtime.CompilerServices;

namespace TcpClose
{
    /// <summary>What <see cref="InetDiagResponse.Next"/> found.</summary>
    internal enum NetlinkItem
    {
        /// <summary>A socket row.</summary>
        Row,
        /// <summary>A message that was not a valid row (too short, odd family); a warning was recorded.</summary>
        Skipped,
        /// <summary>NLMSG_DONE: the dump is complete.</summary>
        Done,
        /// <summary>NLMSG_ERROR with a negative errno; see <see cref="InetDiagResponse.Errno"/>.</summary>
        Error,
        /// <summary>NLMSG_ERROR with error 0 (the answer to NLM_F_ACK); only when <see cref="InetDiagResponse.ReportAcks"/>.</summary>
        Ack,
        /// <summary>No more messages in this datagram (or the rest of it is malformed; a warning was recorded).</summary>
        End,
    }

    /// <summary>
    /// A cursor over one received netlink datagram holding inet_diag_msg replies. Pure: it reads only
    /// the byte[] it is given, never past the count, and always advances, so any input ends.
    /// </summary>
    internal sealed class InetDiagResponse
    {
        byte[] _buf;
        int _pos;
        int _end;

        /// <summary>The positive errno of the last <see cref="NetlinkItem.Error"/>.</summary>
        internal int Errno { get; private set; }

        /// <summary>The reason for the last Skipped, or for an End caused by malformed framing.</summary>
        internal string Warning { get; private set; }

        /// <summary>Only messages with this nlmsg_seq are ours; 0 accepts any.</summary>
        internal uint ExpectedSeq { get; set; }

        /// <summary>nlmsg_seq of the message <see cref="Next"/> last returned: which request it answers.</summary>
        internal uint Seq { get; private set; }

        /// <summary>Return ACKs (error 0) as <see cref="NetlinkItem.Ack"/> instead of skipping them.</summary>
        internal bool ReportAcks { get; set; }

        internal void Reset(byte[] buffer, int count)
        {
            _buf = buffer;
            _pos = 0;
            _end = count < 0 ? 0 : Math.Min(count, buffer?.Length ?? 0);
            Warning = null;
        }

        [MethodImpl(Jit.Hot)]
        internal NetlinkItem Next(out RawTcpRow row)
        {
            row = default(RawTcpRow);
            Warning = null;
            while (true)
            {
                if (_end - _pos < Native.LinuxNetlink.NlMsgHdrLen)
                {
                    if (_end - _pos > 0)
                        Warning = $"netlink: {_end - _pos} trailing bytes shorter than a message header ignored";
                    _pos = _end;
                    return NetlinkItem.End;
                }
                int start = _pos;
                uint len = BitConverter.ToUInt32(_buf, start);
                ushort type = BitConverter.ToUInt16(_buf, start + 4);
                uint seq = BitConverter.ToUInt32(_buf, start + 8);
                if (len < Native.LinuxNetlink.NlMsgHdrLen || len > (uint)(_end - start))
                {
                    Warning = $"netlink: message length {len} does not fit the {_end - start} bytes left; rest of datagram dropped";
                    _pos = _end;
                    return NetlinkItem.End;
                }
                // NLMSG_ALIGN: the next message starts on a 4-byte boundary (clamped to the end).
                long next = start + (((long)len + 3) & ~3L);
                _pos = next > _end ? _end : (int)next;

                if (ExpectedSeq != 0 && seq != ExpectedSeq)
                    continue; // a reply to an earlier request on this socket: not ours
                Seq = seq;
                int payload = start + Native.LinuxNetlink.NlMsgHdrLen;
                int payloadLen = (int)len - Native.LinuxNetlink.NlMsgHdrLen;
                switch (type)
                {
                    case Native.LinuxNetlink.NLMSG_DONE:
                        return NetlinkItem.Done;
                    case Native.LinuxNetlink.NLMSG_ERROR:
                        if (payloadLen < 4)
                        {
                            Errno = 5; // EIO: an error we cannot read is still an error
                            Warning = "netlink: NLMSG_ERROR too short to hold an errno";
                            return NetlinkItem.Error;
                        }
                        int err = BitConverter.ToInt32(_buf, payload);
                        if (err == 0)
                        {
                            if (ReportAcks)
                                return NetlinkItem.Ack;
                            continue; // an ACK, not an error
                        }
                        Errno = err < 0 ? (err == int.MinValue ? int.MaxValue : -err) : err;
                        return NetlinkItem.Error;
                    case Native.LinuxNetlink.SOCK_DIAG_BY_FAMILY:
                    case Native.LinuxNetlink.TCPDIAG_GETSOCK: // replies to the compat request carry its type
                        if (TryParseRow(_buf, payload, payloadLen, out row, out string why))
                            return NetlinkItem.Row;
                        Warning = why;
                        return NetlinkItem.Skipped;
                    default:
                        continue; // NLMSG_NOOP, NLMSG_OVERRUN: nothing to read
                }
            }
        }

        /// <summary>Reads one struct inet_diag_msg (include/uapi/linux/inet_diag.h).</summary>
        [MethodImpl(Jit.Hot)]
        internal static bool TryParseRow(byte[] b, int off, int len, out RawTcpRow row, out string why)
        {
            row = default(RawTcpRow);
            why = null;
            if (len < Native.LinuxNetlink.InetDiagMsgLen || off < 0 || off + len > b.Length)
            {
                why = $"netlink: inet_diag_msg of {len} bytes is shorter than {Native.LinuxNetlink.InetDiagMsgLen}; row skipped";
                return false;
            }
            byte family = b[off];
            bool v6;
            if (family == Native.LinuxNetlink.AF_INET)
                v6 = false;
            else if (family == Native.LinuxNetlink.AF_INET6)
                v6 = true;
            else
            {
                why = $"netlink: address family {family} is neither AF_INET nor AF_INET6; row skipped";
                return false;
            }
            byte timer = b[off + 2];
            // sockid: be16 sport, be16 dport, be32 src[4], be32 dst[4], u32 if, u32 cookie[2]
            row.LocalPort = b[off + 4] << 8 | b[off + 5];
            row.RemotePort = b[off + 6] << 8 | b[off + 7];
            row.Local = IPKey.FromBytes(b, off + 8, v6);
            row.Remote = IPKey.FromBytes(b, off + 24, v6);
            // The rest are host-endian u32s: idiag_expires (ms), rqueue, wqueue, uid, inode.
            uint expires = BitConverter.ToUInt32(b, off + 52);
            row.State = LinuxTcpStates.ToTcpState(b[off + 1]);
            // idiag_timer: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe.
            row.TimerMs = timer == 0 ? -1 : expires;
            row.Inode = BitConverter.ToUInt32(b, off + 68);
            row.Pid = -1;
            row.Id = new SocketId { Family = family, Interface = BitConverter.ToUInt32(b, off + 40), Cookie = BitConverter.ToUInt64(b, off + 44) };
            return true;
        }
    }
}
