using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>Which sockets a process holds, from /proc/&lt;pid&gt;/fd (what ss -p and lsof read).</summary>
    internal static class LinuxProcesses
    {
        /// <summary>readlink(2).</summary>
        /// <remarks>netstandard2.0 has no FileSystemInfo.LinkTarget. A socket fd reads back as
        /// "socket:[inode]". EACCES for other users' processes unless root (or CAP_SYS_PTRACE);
        /// ENOENT when the fd or process went away between listing and reading.</remarks>
        [DllImport("libc", SetLastError = true)]
        static extern unsafe IntPtr readlink(byte* path, byte* buf, IntPtr bufsize);

        /// <summary>The PIDs under /proc, in the kernel's order (ascending tgid); empty when /proc cannot be read.</summary>
        internal static int[] ListProcesses()
        {
            string[] dirs;
            try
            {
                dirs = Directory.GetDirectories("/proc");
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return Array.Empty<int>();
            }
            var pids = new List<int>(dirs.Length);
            foreach (string dir in dirs)
            {
                int slash = dir.LastIndexOf('/');
                if (int.TryParse(dir.Substring(slash + 1), out int pid))
                    pids.Add(pid);
            }
            return pids.ToArray();
        }

        /// <summary>The socket inodes one process holds open: one readlink per fd of that process only.</summary>
        /// <remarks>Empty for another user's process (EACCES, unless root or CAP_SYS_PTRACE) and for a
        /// process that exited meanwhile (ENOENT): neither is an error. <paramref name="stopAt"/> &gt; 0
        /// ends the read as soon as that inode is seen (it is then the last one yielded).</remarks>
        internal static IEnumerable<long> SocketInodesOf(int pid, long stopAt = 0)
        {
            string[] fds;
            try
            {
                fds = Directory.GetFileSystemEntries("/proc/" + pid.ToString() + "/fd");
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                yield break; // another user's process, or it exited
            }
            var path = new byte[64];
            var target = new byte[64];
            foreach (string fd in fds)
            {
                long inode = ReadSocketInode(fd, ref path, target);
                if (inode <= 0)
                    continue;
                yield return inode;
                if (inode == stopAt)
                    yield break;
            }
        }

        /// <summary>The inode of "socket:[N]" the link points at, or -1.</summary>
        static unsafe long ReadSocketInode(string link, ref byte[] path, byte[] target)
        {
            int need = link.Length * 3 + 1;
            if (path.Length < need)
                path = new byte[need];
            int plen = System.Text.Encoding.UTF8.GetBytes(link, 0, link.Length, path, 0);
            path[plen] = 0;
            long n;
            fixed (byte* p = path)
            fixed (byte* t = target)
                n = (long)readlink(p, t, (IntPtr)target.Length);
            const string prefix = "socket:[";
            if (n <= prefix.Length + 1 || n > target.Length || target[n - 1] != (byte)']')
                return -1;
            for (int i = 0; i < prefix.Length; i++)
                if (target[i] != (byte)prefix[i])
                    return -1;
            long v = 0;
            for (long i = prefix.Length; i < n - 1; i++)
            {
                int d = target[i] - '0';
                if (d < 0 || d > 9 || v > long.MaxValue / 10)
                    return -1;
                v = v * 10 + d;
            }
            return v;
        }

        /// <summary>The process's command name from /proc/&lt;pid&gt;/comm (at most 15 characters, the kernel's TASK_COMM_LEN).</summary>
        internal static string ReadProcessName(int pid)
        {
            try
            {
                string s = File.ReadAllText("/proc/" + pid.ToString() + "/comm");
                return s.TrimEnd('\n');
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
