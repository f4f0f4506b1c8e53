using System;
using System.Runtime.InteropServices;
using System.Text;

namespace TcpClose.Native
{
    /// <summary>The libc calls behind network namespaces: open a namespace file, ask what it is, join it.</summary>
    internal static class LinuxNamespaces
    {
        /// <summary>setns(2)'s nstype for a network namespace (include/uapi/linux/sched.h).</summary>
        internal const int CLONE_NEWNET = 0x40000000;

        const int O_RDONLY = 0, O_CLOEXEC = 0x80000; // the same value on x86_64 and arm64

        internal const int EPERM = 1, ENOENT = 2, ESRCH = 3, EACCES = 13, ENOTDIR = 20, EINVAL = 22;

        [DllImport("libc", SetLastError = true, EntryPoint = "open")]
        static extern int open_(byte[] path, int flags);

        [DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);

        /// <summary>setns(2): moves the calling thread only (a multi-threaded process may call it for a
        /// network namespace); needs CAP_SYS_ADMIN over the namespace, else EPERM; EINVAL when the fd is
        /// not a namespace of that type.</summary>
        [DllImport("libc", SetLastError = true)]
        internal static extern int setns(int fd, int nstype);

        [DllImport("libc", SetLastError = true, EntryPoint = "readlink")]
        static extern IntPtr readlink_(byte[] path, byte[] buf, IntPtr size);

        /// <summary>open(path, O_RDONLY | O_CLOEXEC); the fd or -errno.</summary>
        /// <remarks>/proc/PID/ns/net of another user's process needs ptrace read access (EACCES
        /// without root); an `ip netns add` file is mode 0, readable by root only.</remarks>
        internal static int Open(string path)
        {
            int fd = open_(Bytes(path), O_RDONLY | O_CLOEXEC);
            return fd >= 0 ? fd : -Marshal.GetLastWin32Error();
        }

        /// <summary>The link text of a /proc link ("net:[4026531840]"), or null with <paramref name="errno"/> set.</summary>
        internal static string ReadLink(string path, out int errno)
        {
            var buf = new byte[256];
            long n = (long)readlink_(Bytes(path), buf, (IntPtr)buf.Length);
            if (n < 0)
            {
                errno = Marshal.GetLastWin32Error();
                return null;
            }
            errno = 0;
            return Encoding.UTF8.GetString(buf, 0, (int)n);
        }

        /// <summary>ioctl(2) request NS_GET_NSTYPE (include/uapi/linux/nsfs.h, Linux 4.11+): the CLONE_NEW* type of a namespace fd.</summary>
        const uint NS_GET_NSTYPE = 0xb703;

        [DllImport("libc", SetLastError = true)]
        static extern int ioctl(int fd, UIntPtr request);

        /// <summary>statx(2), glibc 2.28+: struct statx has the same layout on every architecture.</summary>
        [DllImport("libc", SetLastError = true)]
        static extern unsafe int statx(int dirfd, byte[] path, int flags, uint mask, byte* buffer);

        const int AT_EMPTY_PATH = 0x1000;
        const uint STATX_INO = 0x100;

        /// <summary>
        /// The network namespace id of an open fd, or -1 with <paramref name="what"/> saying what it is
        /// instead ("a mnt namespace", "an ordinary file").
        /// </summary>
        /// <remarks>A bind mount of a namespace (/run/netns/NAME, Docker's files) is not a /proc link: its
        /// /proc/self/fd link names the mount point. NS_GET_NSTYPE says whether the fd is a namespace
        /// and of which type; its nsfs inode number is the namespace's id, the number lsns and
        /// readlink /proc/PID/ns/net show.</remarks>
        internal static unsafe long NetInode(int fd, out string what)
        {
            int type = ioctl(fd, (UIntPtr)NS_GET_NSTYPE);
            if (type != CLONE_NEWNET)
            {
                what = type < 0 ? "an ordinary file" : "a " + TypeName(type) + " namespace";
                return -1;
            }
            byte* buffer = stackalloc byte[256];
            if (statx(fd, new byte[1], AT_EMPTY_PATH, STATX_INO, buffer) != 0)
            {
                what = $"not readable (statx errno {Marshal.GetLastWin32Error()})";
                return -1;
            }
            what = "a network namespace";
            return *(long*)(buffer + 32); // stx_ino: after mask, blksize, attributes, nlink, uid, gid, mode and a pad
        }

        static string TypeName(int type)
        {
            switch (type)
            {
                case 0x00020000: return "mnt";
                case 0x04000000: return "uts";
                case 0x08000000: return "ipc";
                case 0x10000000: return "user";
                case 0x20000000: return "pid";
                case 0x02000000: return "cgroup";
                case 0x00000080: return "time";
                default: return "type 0x" + type.ToString("x");
            }
        }

        /// <summary>N from "net:[N]", else -1.</summary>
        internal static long ParseNetInode(string link)
        {
            const string prefix = "net:[";
            if (link == null || !link.StartsWith(prefix, StringComparison.Ordinal) || !link.EndsWith("]", StringComparison.Ordinal)
                || link.Length <= prefix.Length + 1)
                return -1;
            return long.TryParse(link.Substring(prefix.Length, link.Length - prefix.Length - 1),
                System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v) ? v : -1;
        }

        /// <summary>The network namespace id of a namespace file or /proc/PID/ns/net link, without opening it; -1 when unreadable.</summary>
        /// <remarks>readlink of /proc/PID/ns/net needs the same ptrace access as opening it; a bind mount
        /// is not a link, so it is opened and its fd's link read instead.</remarks>
        internal static long InodeOf(string path)
        {
            long v = ParseNetInode(ReadLink(path, out _));
            if (v > 0)
                return v;
            int fd = Open(path);
            if (fd < 0)
                return -1;
            try
            {
                return NetInode(fd, out _);
            }
            finally
            {
                close(fd);
            }
        }

        static byte[] Bytes(string s)
        {
            var b = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, b, 0);
            return b;
        }
    }
}
