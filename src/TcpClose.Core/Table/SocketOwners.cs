using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>
    /// Which process holds a socket, found only when a row's owner is first asked for. The rows of
    /// one table read share one of these.
    /// </summary>
    /// <remarks>
    /// Linux has no interface from a socket to its process: <c>ss -p</c> and <c>lsof</c> read every
    /// process's /proc/&lt;pid&gt;/fd, one readlink per descriptor on the host. Here that walk is:
    /// <list type="bullet">
    /// <item>lazy: nothing is read until an owner is asked for (a pipeline that never reads
    /// OwningProcess pays nothing);</item>
    /// <item>incremental: the walk goes through /proc in the kernel's order (ascending PID), a batch
    /// of processes at a time read on every core, and stops after the batch that holds the socket
    /// asked for, resuming from there for the next;</item>
    /// <item>remembered across reads: every socket seen on a walk is noted process-wide with its
    /// PID, and a later answer from that note is used only after reading that one process's
    /// descriptors shows it still holds the socket (so a closed socket, a reused inode or an
    /// exited process never gives a wrong owner); that process is read once per table read, and
    /// every socket of it that was noted is taken from that one read.</item>
    /// </list>
    /// A socket held by several processes (after fork, or passed over a Unix socket) is given to the
    /// first in /proc order: the lowest PID, usually the parent. Another user's processes are not
    /// readable without root (or CAP_SYS_PTRACE): their sockets have no owner here, as with ss.
    /// On Windows the table itself names the owner, and nothing here is used for the PID.
    /// </remarks>
    internal sealed class SocketOwners
    {
        /// <summary>Socket inode to PID, for every socket a walk has seen: bounded, cleared when full.</summary>
        static readonly ConcurrentDictionary<long, int> s_seen = new ConcurrentDictionary<long, int>();
        const int SeenLimit = 1 << 20;

        readonly Dictionary<long, int> _found = new Dictionary<long, int>();
        readonly Dictionary<int, string> _names = new Dictionary<int, string>();
        readonly HashSet<int> _checked = new HashSet<int>();
        int[] _pids;
        int _next;
        int _batch = 8;

        /// <summary>Processes whose descriptors were read, on a walk or to confirm a remembered owner (the tests read them).</summary>
        internal static long ProcessesWalked, ProcessesVerified;

        /// <summary>The PID holding the socket with this inode, or null (none readable holds it).</summary>
        internal int? PidOfInode(long inode)
        {
            if (inode <= 0)
                return null;
            lock (this)
            {
                if (_found.TryGetValue(inode, out int pid))
                    return pid;
                if (s_seen.TryGetValue(inode, out int noted) && _checked.Add(noted))
                {
                    // Remembered from an earlier read: that one process is read now (once per read),
                    // and every socket it still holds and was remembered for is taken at once.
                    System.Threading.Interlocked.Increment(ref ProcessesVerified);
                    foreach (long socket in LinuxProcesses.SocketInodesOf(noted))
                    {
                        if (!_found.ContainsKey(socket) && s_seen.TryGetValue(socket, out int first) && first == noted)
                            _found.Add(socket, noted);
                    }
                    if (_found.TryGetValue(inode, out pid))
                        return pid;
                }
                s_seen.TryRemove(inode, out _); // gone from where it was seen: walk
                if (_pids == null)
                    _pids = LinuxProcesses.ListProcesses();
                // Processes are read in batches, on every core (the walk is one readlink per
                // descriptor: kernel time, which runs in parallel), and taken in /proc order. A batch
                // grows from 8 to 256 processes, so an owner found early costs little reading ahead.
                while (_next < _pids.Length)
                {
                    int start = _next;
                    int count = Math.Min(_batch, _pids.Length - start);
                    var sockets = new List<long>[count];
                    if (count == 1 || Environment.ProcessorCount == 1)
                    {
                        for (int i = 0; i < count; i++)
                            sockets[i] = LinuxProcesses.SocketInodesOf(_pids[start + i]);
                    }
                    else
                    {
                        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                            i => sockets[i] = LinuxProcesses.SocketInodesOf(_pids[start + i]));
                    }
                    _next = start + count;
                    _batch = Math.Min(_batch * 2, 256);
                    System.Threading.Interlocked.Add(ref ProcessesWalked, count);
                    for (int i = 0; i < count; i++)
                    {
                        foreach (long socket in sockets[i])
                        {
                            // The first process in /proc order keeps a shared socket.
                            if (!_found.ContainsKey(socket))
                            {
                                _found.Add(socket, _pids[start + i]);
                                Note(socket, _pids[start + i]);
                            }
                        }
                    }
                    if (_found.TryGetValue(inode, out pid))
                        return pid;
                }
                return null;
            }
        }

        /// <summary>The process's name: /proc/&lt;pid&gt;/comm on Linux, else the OS's process list.</summary>
        internal string NameOf(int pid, bool linux)
        {
            lock (_names)
            {
                if (_names.TryGetValue(pid, out string name))
                    return name;
                if (linux)
                    name = LinuxProcesses.ReadProcessName(pid);
                else
                {
                    try
                    {
                        using (var p = Process.GetProcessById(pid))
                            name = p.ProcessName;
                    }
                    catch (Exception e) when (e is ArgumentException || e is InvalidOperationException || e is System.ComponentModel.Win32Exception)
                    {
                        name = null; // gone, or not ours to see
                    }
                }
                _names[pid] = name;
                return name;
            }
        }

        /// <summary>
        /// Only these processes' sockets (Get-TcpConnection -OwningProcess): their descriptors alone
        /// are read, never the host's. A socket several of them share goes to the first listed.
        /// </summary>
        internal static Dictionary<long, int> SocketsOf(IEnumerable<int> pids)
        {
            var map = new Dictionary<long, int>();
            foreach (int pid in pids)
            {
                foreach (long socket in LinuxProcesses.SocketInodesOf(pid))
                {
                    if (!map.ContainsKey(socket))
                        map.Add(socket, pid);
                }
            }
            return map;
        }

        static void Note(long socket, int pid)
        {
            if (s_seen.Count >= SeenLimit)
                s_seen.Clear();
            s_seen[socket] = pid;
        }
    }
}
