using System;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>macOS/BSD sysctls: the TIME_WAIT length and the ephemeral port range.</summary>
    internal static class MacTcp
    {
        /// <summary>sysctlbyname(3).</summary>
        /// <remarks>net.inet.tcp.msl is in milliseconds on macOS (default 15000: TIME_WAIT = 2*MSL = 30 s).
        /// FreeBSD reports it in ms too. Absent on Linux, where this is never called.</remarks>
        [DllImport("libc", SetLastError = true)]
        static extern unsafe int sysctlbyname(string name, byte* oldp, ref IntPtr oldlenp, byte* newp, IntPtr newlen);

        /// <summary>An int sysctl (net.inet.tcp.msl, net.inet.ip.portrange.first...); null when it does not exist here.</summary>
        internal static unsafe int? ReadInt(string name)
        {
            try
            {
                int value = 0;
                IntPtr len = (IntPtr)4;
                if (sysctlbyname(name, (byte*)&value, ref len, null, IntPtr.Zero) == 0 && (long)len == 4)
                    return value;
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
            }
            return null;
        }

        /// <summary>A struct sysctl as bytes (net.inet.tcp.stats: struct tcpstat); null when it does not exist here.</summary>
        /// <remarks>Asks for the size first (oldp null), then reads that many bytes.</remarks>
        internal static unsafe byte[] ReadBytes(string name)
        {
            try
            {
                IntPtr len = IntPtr.Zero;
                if (sysctlbyname(name, null, ref len, null, IntPtr.Zero) != 0 || (long)len <= 0 || (long)len > 1 << 20)
                    return null;
                var buffer = new byte[(long)len];
                fixed (byte* p = buffer)
                {
                    if (sysctlbyname(name, p, ref len, null, IntPtr.Zero) != 0)
                        return null;
                }
                if ((long)len < buffer.Length)
                    Array.Resize(ref buffer, (int)(long)len);
                return buffer;
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return null;
            }
        }
    }
}
