using System.Runtime.InteropServices;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>A Linux fact that needs CAP_NET_ADMIN (root): SOCK_DESTROY is refused without it.</summary>
    public sealed class LinuxNetAdminFactAttribute : FactAttribute
    {
        public LinuxNetAdminFactAttribute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                Skip = "Linux only: netlink SOCK_DESTROY.";
            else if (!TcpRowRemoval.IsPermitted)
                Skip = "Needs CAP_NET_ADMIN (run as root): removing sockets this process does not own is refused without it.";
        }
    }

    /// <summary>A Linux fact about running as root: skipped, saying so, for any other user.</summary>
    public sealed class LinuxRootFactAttribute : FactAttribute
    {
        public LinuxRootFactAttribute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                Skip = "Linux only.";
            else if (!Environment.IsPrivilegedProcess)
                Skip = "Run as root: this fact is about what root may do.";
        }
    }

    /// <summary>A fact that runs only on Linux, where the behaviour it pins down is the OS's.</summary>
    public sealed class LinuxFactAttribute : FactAttribute
    {
        public LinuxFactAttribute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                Skip = "Linux only: pins Linux kernel behaviour (bind rules, netlink inet_diag, /proc/net/tcp); other OSes differ by design.";
            }
        }
    }

    public sealed class LinuxTheoryAttribute : TheoryAttribute
    {
        public LinuxTheoryAttribute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                Skip = "Linux only: pins Linux kernel behaviour (bind rules, netlink inet_diag, /proc/net/tcp); other OSes differ by design.";
            }
        }
    }

    public sealed class UnixFactAttribute : FactAttribute
    {
        public UnixFactAttribute()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                Skip = "Unix socket option semantics; Windows differs by design.";
            }
        }
    }

    public sealed class WindowsFactAttribute : FactAttribute
    {
        public WindowsFactAttribute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                Skip = "Windows only.";
            }
        }
    }
}
