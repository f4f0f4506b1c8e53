using System;
using System.Net;

namespace TcpClose
{
    /// <summary>
    /// An IP address as two big-endian 64-bit halves of its 16 bytes, IPv4 (and IPv4-mapped IPv6)
    /// normalized to ::ffff:a.b.c.d so that one compare is the canonical compare. Cheap to build from
    /// kernel bytes and to use as a dictionary key; formatted to text once per distinct address.
    /// </summary>
    internal struct IPKey : IEquatable<IPKey>
    {
        internal readonly ulong Hi;
        internal readonly ulong Lo;

        internal IPKey(ulong hi, ulong lo)
        {
            Hi = hi;
            Lo = lo;
        }

        internal static IPKey FromV4(uint networkOrderValue) => new IPKey(0, 0x0000FFFF00000000UL | networkOrderValue);

        internal bool IsV4 => Hi == 0 && (Lo >> 32) == 0x0000FFFFUL;

        internal static IPKey FromBytes(byte[] b, int offset, bool v6)
        {
            if (!v6)
                return FromV4(ReadBE32(b, offset));
            return new IPKey(ReadBE64(b, offset), ReadBE64(b, offset + 8));
        }

        internal static IPKey FromAddress(IPAddress address)
        {
            byte[] b = address.GetAddressBytes();
            return FromBytes(b, 0, b.Length == 16);
        }

        internal static uint ReadBE32(byte[] b, int o) => (uint)(b[o] << 24 | b[o + 1] << 16 | b[o + 2] << 8 | b[o + 3]);

        internal static ulong ReadBE64(byte[] b, int o) => (ulong)ReadBE32(b, o) << 32 | ReadBE32(b, o + 4);

        internal string Format()
        {
            if (IsV4)
            {
                uint v = (uint)Lo;
                return string.Concat(
                    ((v >> 24) & 0xFF).ToString(), ".", ((v >> 16) & 0xFF).ToString(), ".",
                    ((v >> 8) & 0xFF).ToString(), ".", (v & 0xFF).ToString());
            }
            var bytes = new byte[16];
            for (int i = 0; i < 8; i++)
            {
                bytes[i] = (byte)(Hi >> (56 - 8 * i));
                bytes[8 + i] = (byte)(Lo >> (56 - 8 * i));
            }
            return new IPAddress(bytes).ToString();
        }

        public bool Equals(IPKey other) => Hi == other.Hi && Lo == other.Lo;
        public override bool Equals(object obj) => obj is IPKey k && Equals(k);
        public override int GetHashCode() => (Hi ^ (Lo * 0x9E3779B97F4A7C15UL)).GetHashCode();
    }

    /// <summary>One table row as a source produces it, before formatting and owner lookup.</summary>
    internal struct RawTcpRow
    {
        internal IPKey Local;
        internal IPKey Remote;
        internal int LocalPort;
        internal int RemotePort;
        internal TcpState State;
        /// <summary>Time left on the active timer in ms; negative when there is no timer.</summary>
        internal long TimerMs;
        /// <summary>True when <see cref="TimerMs"/> is this module's estimate, not the OS's figure.</summary>
        internal bool TimerEstimated;
        /// <summary>Linux socket inode; negative where the OS has none.</summary>
        internal long Inode;
        /// <summary>Owning PID where the source gives it (Windows); negative when unknown.</summary>
        internal int Pid;
        /// <summary>The kernel's own name for the socket (netlink rows only), which SOCK_DESTROY needs.</summary>
        internal SocketId Id;
    }

    /// <summary>
    /// A Linux inet_diag_sockid as the kernel sent it: the socket's own family (AF_INET6 for a dual-stack
    /// socket even when its addresses are IPv4-mapped), the bound interface and the socket cookie.
    /// SOCK_DESTROY looks the socket up by 4-tuple and interface and then refuses it unless the cookie
    /// matches (sock_diag_check_cookie), so a new socket that took the same 4-tuple is never destroyed.
    /// </summary>
    internal struct SocketId
    {
        /// <summary>AF_INET or AF_INET6; 0 when the source gave no kernel id (/proc, Windows, IPGlobalProperties).</summary>
        internal byte Family;
        internal uint Interface;
        /// <summary>idiag_cookie[2] as one little-endian u64 (written back byte for byte).</summary>
        internal ulong Cookie;

        internal bool IsKnown => Family != 0;
    }
}
