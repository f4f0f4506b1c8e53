namespace TcpClose
{
    /// <summary>
    /// One network namespace of the host, as Get-TcpNetworkNamespace lists it: who lives there and how
    /// full its TCP table is. Immutable and without live handles (it survives remoting and Export-Csv).
    /// </summary>
    public sealed class TcpNetworkNamespace
    {
        internal TcpNetworkNamespace(NetworkNamespace ns, int? processId, string processName, int processCount,
            string containerId, string podUid, System.Func<(int?, int?, int?)> count)
        {
            _count = count;
            Id = ns.Id;
            Name = ns.Name;
            Path = ns.Path;
            IsCurrent = ns.IsCurrent;
            ProcessId = processId;
            ProcessName = processName;
            ProcessCount = processCount;
            ContainerId = containerId;
            PodUid = podUid;
        }

        System.Func<(int?, int?, int?)> _count;
        (int?, int?, int?) _counts;

        /// <summary>The table is counted when a count is first read (one netlink dump inside the
        /// namespace): a pipeline that only passes namespaces on, such as
        /// <c>Get-TcpNetworkNamespace | Get-TcpPortUsage</c>, enters none of them to count.
        /// Views, Select-Object, Export-Csv and remoting read the counts at once.</summary>
        (int?, int?, int?) Counts
        {
            get
            {
                lock (this)
                {
                    if (_count != null)
                    {
                        _counts = _count();
                        _count = null;
                    }
                    return _counts;
                }
            }
        }

        /// <summary>What every other TcpClose cmdlet takes as -NetworkNamespace (bound from this
        /// property in a pipeline), and what its rows carry: the name, else net:[INODE].</summary>
        public string NetworkNamespace => Name ?? TcpClose.NetworkNamespace.Text(Id);

        /// <summary>The namespace's inode: the number in `readlink /proc/PID/ns/net` and lsns's NS column.</summary>
        public long Id { get; }

        /// <summary>The `ip netns` name (/run/netns/NAME), or null.</summary>
        public string Name { get; }

        /// <summary>A file that opens to it: /run/netns/NAME, Docker's netns file, or /proc/PID/ns/net of its first process.</summary>
        public string Path { get; }

        /// <summary>True for the namespace this PowerShell process runs in (the host's, usually).</summary>
        public bool IsCurrent { get; }

        /// <summary>The lowest PID of the processes living in it (lsns's PID column); null when none does (a name pins it).</summary>
        public int? ProcessId { get; }

        /// <summary>That process's command name (/proc/PID/comm).</summary>
        public string ProcessName { get; }

        /// <summary>How many processes live in it (that this user can see: all of them as root).</summary>
        public int ProcessCount { get; }

        /// <summary>The container id its first process's cgroup names (Docker, containerd, CRI-O, Podman), or null.</summary>
        public string ContainerId { get; }

        /// <summary>The Kubernetes pod UID its first process's cgroup names (a kubepods path), or null.</summary>
        public string PodUid { get; }

        /// <summary>Listening sockets in its table, counted when first read; null when the table could not be read (not root).</summary>
        public int? Listen => Counts.Item1;

        /// <summary>Established connections in its table, counted with <see cref="Listen"/>; null when it could not be read.</summary>
        public int? Established => Counts.Item2;

        /// <summary>TIME_WAIT rows in its table, counted with <see cref="Listen"/>; null when it could not be read.</summary>
        public int? TimeWait => Counts.Item3;

        public override string ToString() => NetworkNamespace;
    }
}
