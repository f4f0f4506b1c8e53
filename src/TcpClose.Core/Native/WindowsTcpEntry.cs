using System;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>iphlpapi SetTcpEntry, the one Windows call that ends a connection another process owns.</summary>
    /// <remarks>Compiled everywhere, called only on Windows.</remarks>
    internal static class WindowsTcpEntry
    {
        /// <summary>MIB_TCP_STATE_DELETE_TCB: the only state SetTcpEntry accepts.</summary>
        internal const uint MIB_TCP_STATE_DELETE_TCB = 12;
        internal const int ERROR_ACCESS_DENIED = 5;
        internal const int ERROR_INVALID_PARAMETER = 87;
        internal const int ERROR_NOT_SUPPORTED = 50;
        /// <summary>What SetTcpEntry answers in a session that is not elevated (a long-standing quirk:
        /// the message table text is "The system cannot find message text...", not "access denied").</summary>
        internal const int ERROR_MR_MID_NOT_FOUND = 317;

        /// <summary>SetTcpEntry(PMIB_TCPROW).</summary>
        /// <remarks>
        /// Only dwState = MIB_TCP_STATE_DELETE_TCB (12) is accepted; the connection is found by its
        /// IPv4 4-tuple and reset (RST to the peer). There is no IPv6 counterpart (no SetTcp6Entry), so
        /// IPv6 connections cannot be removed this way. Needs an elevated session: otherwise
        /// ERROR_MR_MID_NOT_FOUND (317) or ERROR_ACCESS_DENIED (5).
        /// MIB_TCPROW: DWORD dwState, dwLocalAddr, dwLocalPort, dwRemoteAddr, dwRemotePort; addresses in
        /// network byte order, ports in network byte order in the low 16 bits.
        /// </remarks>
        [DllImport("iphlpapi.dll", SetLastError = false)]
        static extern unsafe uint SetTcpEntry(byte* row);

        /// <summary>Deletes the TCB of one IPv4 connection; returns the Win32 error code (0 = done).</summary>
        internal static unsafe int DeleteTcb(uint localAddrNetworkOrder, int localPort, uint remoteAddrNetworkOrder, int remotePort)
        {
            byte* row = stackalloc byte[20];
            for (int i = 0; i < 20; i++)
                row[i] = 0;
            *(uint*)row = MIB_TCP_STATE_DELETE_TCB;
            WriteBE32(row + 4, localAddrNetworkOrder);
            row[8] = (byte)(localPort >> 8);
            row[9] = (byte)localPort;
            WriteBE32(row + 12, remoteAddrNetworkOrder);
            row[16] = (byte)(remotePort >> 8);
            row[17] = (byte)remotePort;
            return (int)SetTcpEntry(row);
        }

        static unsafe void WriteBE32(byte* p, uint v)
        {
            p[0] = (byte)(v >> 24);
            p[1] = (byte)(v >> 16);
            p[2] = (byte)(v >> 8);
            p[3] = (byte)v;
        }

        /// <summary>shell32 IsUserAnAdmin: true in an elevated session.</summary>
        [DllImport("shell32.dll", SetLastError = false)]
        static extern bool IsUserAnAdmin();

        internal static bool IsElevated()
        {
            try
            {
                return IsUserAnAdmin();
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return false;
            }
        }
    }
}
