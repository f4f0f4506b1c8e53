using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>The Windows TCP counters: GetTcpStatisticsEx2 (64-bit segment counts), or GetTcpStatisticsEx.</summary>
    internal static class WindowsTcpStatistics
    {
        const uint AF_INET = 2, AF_INET6 = 23;

        /// <summary>GetTcpStatisticsEx2 (iphlpapi.h): Windows 10 1709 and Server 2016 on; fills a MIB_TCPSTATS2 (72 bytes).</summary>
        [DllImport("iphlpapi.dll", ExactSpelling = true)]
        static extern unsafe uint GetTcpStatisticsEx2(byte* statistics, uint family);

        /// <summary>GetTcpStatisticsEx (iphlpapi.h): every Windows since XP; fills a MIB_TCPSTATS (60 bytes).</summary>
        [DllImport("iphlpapi.dll", ExactSpelling = true)]
        static extern unsafe uint GetTcpStatisticsEx(byte* statistics, uint family);

        /// <summary>Both families' counters, summed; a family the stack does not run (no IPv6) counts nothing.</summary>
        internal static IReadOnlyList<TcpStatistic> Read(DateTime at)
        {
            bool stats2 = true;
            byte[] v4, v6;
            try
            {
                v4 = Call(AF_INET, true);
                v6 = Call(AF_INET6, true);
            }
            catch (EntryPointNotFoundException)
            {
                stats2 = false; // older Windows (and Wine builds without it)
                v4 = Call(AF_INET, false);
                v6 = Call(AF_INET6, false);
            }
            if (v4 == null && v6 == null)
                throw TcpStatistics.Unavailable("GetTcpStatisticsEx answered an error for IPv4 and IPv6");
            return TcpStatistics.FromWindows(v4, v6, stats2, at);
        }

        static unsafe byte[] Call(uint family, bool stats2)
        {
            var buffer = new byte[stats2 ? 72 : 60];
            fixed (byte* p = buffer)
            {
                uint rc = stats2 ? GetTcpStatisticsEx2(p, family) : GetTcpStatisticsEx(p, family);
                return rc == 0 ? buffer : null;
            }
        }
    }
}
