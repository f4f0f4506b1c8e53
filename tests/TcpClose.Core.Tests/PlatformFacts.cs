using System.Runtime.InteropServices;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>A fact that runs only on Linux (xunit 2 has no Assert.Skip).</summary>
    public sealed class LinuxFactAttribute : FactAttribute
    {
        public LinuxFactAttribute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                Skip = "Linux only: reads the Linux TCP table (netlink inet_diag, /proc/net/tcp).";
        }
    }

    /// <summary>A theory that runs only on Linux.</summary>
    public sealed class LinuxTheoryAttribute : TheoryAttribute
    {
        public LinuxTheoryAttribute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                Skip = "Linux only: reads the Linux TCP table (netlink inet_diag, /proc/net/tcp).";
        }
    }

    /// <summary>A fact that runs only on Windows.</summary>
    public sealed class WindowsFactAttribute : FactAttribute
    {
        public WindowsFactAttribute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                Skip = "Windows only.";
        }
    }

    /// <summary>A fact that runs on every Unix (Linux, macOS, BSD), not on Windows.</summary>
    public sealed class UnixFactAttribute : FactAttribute
    {
        public UnixFactAttribute()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                Skip = "Unix only.";
        }
    }
}
