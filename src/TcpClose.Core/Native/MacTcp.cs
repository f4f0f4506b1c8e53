using System;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>macOS/BSD sysctl for the TIME_WAIT length.</summary>
    internal static class MacTcp
    {
        /// <summary>sysctlbyname(3).</summary>
        /// <remarks>net.inet.tcp.msl is in milliseconds on macOS (default 15000: TIME_WAIT = 2*MSL = 30 s).
        /// FreeBSD reports it in ms too. Absent on Linux, where this is never called.</remarks>
        [DllImport("libc", SetLastError = true)]
        static extern unsafe int sysctlbyname(string name, byte* oldp, ref IntPtr oldlenp, byte* newp, IntPtr newlen);

        /// <summary>2*MSL in milliseconds, 30000 when the sysctl cannot be read.</summary>
        internal static unsafe long ReadTimeWaitMs()
        {
            try
            {
                int msl = 0;
                IntPtr len = (IntPtr)4;
                if (sysctlbyname("net.inet.tcp.msl", (byte*)&msl, ref len, null, IntPtr.Zero) == 0 && (long)len == 4 && msl > 0 && msl < 600000)
                    return 2L * msl;
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
            }
            return 30000;
        }
    }
}
