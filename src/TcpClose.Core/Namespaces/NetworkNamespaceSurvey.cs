using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>
    /// Every network namespace of the host: the ones processes live in (what `lsns -t net` lists), plus
    /// those pinned only by a file under /run/netns or Docker's netns folder.
    /// </summary>
    /// <remarks>
    /// One readlink of /proc/PID/ns/net per process (lsns reads more per process: every namespace type
    /// and the process's status), then, per namespace, one count of its TCP table through a netlink
    /// socket opened inside it. Without root only this user's processes are visible, and only the
    /// caller's own table can be counted (the others' counts are null).
    /// </remarks>
    public static class NetworkNamespaceSurvey
    {
        /// <summary>Every namespace, the caller's first, then by id; filtered by name (wildcards) and id.
        /// <paramref name="counts"/> false leaves the table counts null (nothing is entered: tab completion).</summary>
        public static IEnumerable<TcpNetworkNamespace> List(Func<string, bool> nameMatches, ICollection<long> ids, bool counts = true)
        {
            long current = NetworkNamespace.CurrentId;
            var members = new Dictionary<long, List<int>>();
            // Another user's process (without root), or one that exited meanwhile, is not listed.
            foreach (var (pid, id) in LinuxProcesses.NetNamespacesOfProcesses())
            {
                if (!members.TryGetValue(id, out List<int> list))
                    members[id] = list = new List<int>();
                list.Add(pid);
            }
            var files = new Dictionary<long, (string path, string name)>();
            foreach (string folder in NetworkNamespace.Folders)
            {
                bool named = folder == NetworkNamespace.NamedFolder;
                foreach (string file in NetworkNamespace.SafeFiles(folder).OrderBy(f => f, StringComparer.Ordinal))
                {
                    long id = LinuxNamespaces.InodeOf(file);
                    if (id <= 0 || files.ContainsKey(id))
                        continue; // not a namespace (an empty file `ip netns` left), or pinned twice
                    files[id] = (file, named ? Path.GetFileName(file) : null);
                }
            }
            if (!members.ContainsKey(current))
                members[current] = new List<int>();

            IEnumerable<long> all = members.Keys.Union(files.Keys).OrderBy(id => id == current ? 0 : 1).ThenBy(id => id);
            foreach (long id in all)
            {
                files.TryGetValue(id, out var file);
                if (ids != null && ids.Count > 0 && !ids.Contains(id))
                    continue;
                if (nameMatches != null && !nameMatches(file.name))
                    continue;
                members.TryGetValue(id, out List<int> pids);
                int? first = pids != null && pids.Count > 0 ? pids.Min() : (int?)null;
                string path = file.path ?? (id == current ? "/proc/self/ns/net" : "/proc/" + Num(first.Value) + "/ns/net");
                var ns = new NetworkNamespace(id, file.name, path, id == current);
                string cgroup = first.HasValue ? ReadCgroup(first.Value) : null;
                yield return new TcpNetworkNamespace(ns, first, first.HasValue ? LinuxProcesses.ReadProcessName(first.Value) : null,
                    pids?.Count ?? 0, ContainerIdOf(cgroup), PodUidOf(cgroup), counts ? (Func<(int?, int?, int?)>)(() => Count(ns)) : null);
            }
        }

        /// <summary>A file that opens to the namespace with this id: a folder's file, else the link of a
        /// process that lives in it; null when none is visible.</summary>
        internal static string PathOf(long id)
        {
            foreach (string folder in NetworkNamespace.Folders)
                foreach (string file in NetworkNamespace.SafeFiles(folder))
                    if (LinuxNamespaces.InodeOf(file) == id)
                        return file;
            foreach (var (pid, inode) in LinuxProcesses.NetNamespacesOfProcesses())
                if (inode == id)
                    return "/proc/" + Num(pid) + "/ns/net";
            return null;
        }

        static string Num(int v) => v.ToString(CultureInfo.InvariantCulture);

        /// <summary>The Listen, Established and TimeWait counts of the namespace's table; nulls when it cannot be entered.</summary>
        internal static (int?, int?, int?) Count(NetworkNamespace ns)
        {
            if (!ns.IsCurrent && !NetworkNamespace.IsRoot)
                return (null, null, null);
            try
            {
                int listen = 0, established = 0, timeWait = 0;
                var filter = new TcpTableFilter
                {
                    States = new[] { TcpState.Listen, TcpState.Established, TcpState.TimeWait },
                    NetworkNamespace = ns,
                };
                foreach (var (_, row) in TcpTable.RawRows(filter))
                {
                    switch (row.State)
                    {
                        case TcpState.Listen: listen++; break;
                        case TcpState.Established: established++; break;
                        default: timeWait++; break;
                    }
                }
                return (listen, established, timeWait);
            }
            catch (TcpCloseException)
            {
                return (null, null, null); // it went away while being counted, or entering it was refused
            }
        }

        static string ReadCgroup(int pid)
        {
            try
            {
                return File.ReadAllText("/proc/" + Num(pid) + "/cgroup");
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        // The runtimes' cgroup names (systemd and cgroupfs drivers, v1 and v2):
        // docker-<id>.scope, /docker/<id>; cri-containerd-<id>.scope, /kubepods/.../<id>;
        // crio-<id>.scope, crio-conmon-<id>; libpod-<id>.scope, libpod-conmon-<id>.
        static readonly Regex s_container = new Regex(
            @"(?:docker-|cri-containerd-|crio-|libpod-|/docker/|/libpod/|/crio/)([0-9a-f]{64})(?:\.scope)?(?:/|$)",
            RegexOptions.CultureInvariant | RegexOptions.Multiline);

        static readonly Regex s_kubeContainer = new Regex(@"/kubepods[^\n]*/pod[0-9a-f_-]+(?:\.slice)?/([0-9a-f]{64})(?:/|$)",
            RegexOptions.CultureInvariant | RegexOptions.Multiline);

        static readonly Regex s_pod = new Regex(@"kubepods[^\n]*?[/-]pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})",
            RegexOptions.CultureInvariant);

        /// <summary>The 64-hex container id a /proc/PID/cgroup text names, or null.</summary>
        internal static string ContainerIdOf(string cgroup)
        {
            if (cgroup == null)
                return null;
            Match m = s_container.Match(cgroup);
            if (!m.Success)
                m = s_kubeContainer.Match(cgroup);
            return m.Success ? m.Groups[1].Value : null;
        }

        /// <summary>The pod UID a kubepods cgroup path names (systemd's slices write its dashes as '_'), or null.</summary>
        internal static string PodUidOf(string cgroup)
        {
            if (cgroup == null)
                return null;
            Match m = s_pod.Match(cgroup);
            return m.Success ? m.Groups[1].Value.Replace('_', '-') : null;
        }
    }
}
