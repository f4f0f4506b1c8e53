using System.Runtime.InteropServices;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>A Linux fact that needs one more thing: skipped, with the reason, where either is missing.</summary>
    public abstract class LinuxAndFactAttribute : FactAttribute
    {
        protected LinuxAndFactAttribute(Func<bool> needed, string linuxOnly, string otherwise)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                Skip = linuxOnly;
            else if (!needed())
                Skip = otherwise;
        }
    }

    /// <summary>A Linux fact that needs CAP_NET_ADMIN (root): SOCK_DESTROY is refused without it.</summary>
    public sealed class LinuxNetAdminFactAttribute : LinuxAndFactAttribute
    {
        public LinuxNetAdminFactAttribute()
            : base(() => TcpRowRemoval.IsPermitted, "Linux only: netlink SOCK_DESTROY.",
                "Needs CAP_NET_ADMIN (run as root): removing sockets this process does not own is refused without it.")
        {
        }
    }

    /// <summary>A Linux fact that removes sockets and reads bound ones back (CAP_NET_ADMIN, Linux 6.9+).</summary>
    public sealed class LinuxNetAdminBoundFactAttribute : LinuxAndFactAttribute
    {
        public LinuxNetAdminBoundFactAttribute()
            : base(() => TcpRowRemoval.IsPermitted && LinuxTcpStates.ListsBoundSockets, "Linux only: netlink SOCK_DESTROY.",
                "Needs CAP_NET_ADMIN (run as root) and Linux 6.9 or later, whose netlink dumps list bound sockets that do not listen.")
        {
        }
    }

    /// <summary>A Linux fact about running as root: skipped, saying so, for any other user.</summary>
    public sealed class LinuxRootFactAttribute : LinuxAndFactAttribute
    {
        public LinuxRootFactAttribute()
            : base(() => Environment.IsPrivilegedProcess, "Linux only.", "Run as root: this fact is about what root may do.")
        {
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
