using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>
    /// A Linux network namespace to work in: its own TCP table, /proc/sys/net values and sockets.
    /// Made from what a user types (<see cref="Resolve"/>); <see cref="Run{T}"/> does a piece of work
    /// inside it.
    /// </summary>
    /// <remarks>
    /// setns(2) moves only the calling thread, so the work runs on a thread made for it, which joins the
    /// namespace, does the work (opens a netlink socket, reads /proc/sys/net, creates a socket), goes
    /// back to the namespace it started in and ends. A socket keeps the namespace it was made in,
    /// whatever thread uses it later, so only creation happens there. No runspace or thread-pool
    /// thread ever changes namespace, and a failure at any step leaves no thread elsewhere. Socket
    /// inodes are global, so owners still come from the host's /proc.
    /// </remarks>
    public sealed class NetworkNamespace
    {
        /// <summary>Where `ip netns add` (and CNI plugins, Podman) pin named namespaces.</summary>
        internal const string NamedFolder = "/run/netns";

        /// <summary>Folders whose files are namespaces: the named ones, then Docker's (one file per sandbox).</summary>
        internal static readonly string[] Folders = { NamedFolder, "/var/run/docker/netns", "/run/docker/netns" };

        static readonly bool s_linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

        /// <summary>Paths that opened to a namespace, by its id: the survey fills it, so piping its
        /// output costs no new search; every use checks the path still leads to that id.</summary>
        static readonly ConcurrentDictionary<long, string> s_paths = new ConcurrentDictionary<long, string>();

        internal NetworkNamespace(long id, string name, string path, bool isCurrent)
        {
            Id = id;
            Name = name;
            Path = path;
            IsCurrent = isCurrent;
            if (path != null)
                s_paths[id] = path;
        }

        /// <summary>The namespace's inode, as `readlink /proc/PID/ns/net` and `lsns` show it.</summary>
        public long Id { get; }

        /// <summary>The `ip netns` name (a file under /run/netns), or null.</summary>
        public string Name { get; }

        /// <summary>A file that opens to the namespace (/run/netns/NAME, /proc/PID/ns/net, a bind mount).</summary>
        public string Path { get; }

        /// <summary>True for the namespace this PowerShell process runs in.</summary>
        public bool IsCurrent { get; }

        /// <summary>What rows read here carry as NetworkNamespace: the name, else net:[INODE].</summary>
        public string DisplayName => Name ?? Text(Id);

        public override string ToString() => DisplayName;

        /// <summary>The net:[INODE] text of a namespace id, as readlink /proc/PID/ns/net prints it.</summary>
        public static string Text(long id) => "net:[" + id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";

        /// <summary>The id of the namespace this process runs in (its main thread's; no thread here ever leaves it).</summary>
        internal static long CurrentId => LinuxNamespaces.InodeOf("/proc/self/ns/net");

        /// <summary>The process's own namespace.</summary>
        public static NetworkNamespace Current
        {
            get
            {
                CheckPlatform(null);
                long id = CurrentId;
                return new NetworkNamespace(id, NameOf(id), "/proc/self/ns/net", true);
            }
        }

        /// <summary>
        /// The namespace a user means: an `ip netns` name, a path to a namespace file, a process id, or
        /// net:[INODE]. Null or empty input is null (the caller's own namespace, as without the parameter).
        /// </summary>
        /// <remarks>
        /// A name that is also all digits is taken as the name when /run/netns has it, else as a PID.
        /// Errors: InvalidNetworkNamespace (text of no such form), NetworkNamespaceNotFound (nothing of
        /// that name, no such process, a file that is not a network namespace), PermissionDenied (the
        /// file or process is not readable by this user), PlatformNotSupported (not Linux).
        /// </remarks>
        public static NetworkNamespace Resolve(string text)
        {
            if (text == null)
                return null;
            CheckPlatform(text);
            string t = text.Trim();
            if (t.Length == 0)
                throw Invalid(text, "it is blank");
            if (t.StartsWith("net:", StringComparison.Ordinal))
            {
                long id = LinuxNamespaces.ParseNetInode(t);
                if (id <= 0)
                    throw Invalid(text, "an id is written net:[INODE], with the number readlink /proc/PID/ns/net prints");
                return FromId(id, text);
            }
            if (t.IndexOf('/') >= 0)
                return FromPath(t, NameOfPath(t), text);
            bool digits = t.All(c => c >= '0' && c <= '9');
            if (IsName(t) && File.Exists(System.IO.Path.Combine(NamedFolder, t)))
                return FromPath(System.IO.Path.Combine(NamedFolder, t), t, text);
            if (digits)
            {
                if (!int.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) || pid <= 0)
                    throw NotFound(text, $"no process has id {t}");
                string path = "/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/ns/net";
                if (!Directory.Exists("/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                    throw NotFound(text, $"no process has id {pid}");
                return FromPath(path, null, text);
            }
            if (!IsName(t))
                throw Invalid(text, "a name is what `ip netns add` made (no '/', not '.' or '..')");
            throw NotFound(text, "no namespace has that name under " + NamedFolder + Known());
        }

        /// <summary>A namespace found by the survey or a path it opened from; also for the tests.</summary>
        internal static NetworkNamespace FromPath(string path, string name, string given)
        {
            int fd = LinuxNamespaces.Open(path);
            if (fd < 0)
                throw OpenFailed(-fd, path, given);
            long id;
            try
            {
                id = LinuxNamespaces.NetInode(fd, out string what);
                if (id <= 0)
                    throw NotFound(given, $"{path} is not a network namespace (it is {what})");
            }
            finally
            {
                LinuxNamespaces.close(fd);
            }
            long current = CurrentId;
            return new NetworkNamespace(id, name ?? NameOf(id), path, id == current);
        }

        static NetworkNamespace FromId(long id, string given)
        {
            long current = CurrentId;
            if (id == current)
                return new NetworkNamespace(id, NameOf(id), "/proc/self/ns/net", true);
            if (s_paths.TryGetValue(id, out string known) && LinuxNamespaces.InodeOf(known) == id)
                return new NetworkNamespace(id, NameOf(id), known, false);
            string path = NetworkNamespaceSurvey.PathOf(id);
            if (path != null)
                return new NetworkNamespace(id, NameOfPath(path) ?? NameOf(id), path, false);
            throw NotFound(given, $"no process holds network namespace {Text(id)} and no file under {string.Join(", ", Folders)} pins it"
                + (IsRoot ? "" : " (without root, only this user's processes can be seen)"));
        }

        /// <summary>The `ip netns` name whose file is this namespace, or null.</summary>
        internal static string NameOf(long id)
        {
            foreach (string file in SafeFiles(NamedFolder))
                if (LinuxNamespaces.InodeOf(file) == id)
                    return System.IO.Path.GetFileName(file);
            return null;
        }

        static string NameOfPath(string path)
        {
            string dir = System.IO.Path.GetDirectoryName(path);
            return dir == NamedFolder || dir == "/var/run/netns" ? System.IO.Path.GetFileName(path) : null;
        }

        internal static IEnumerable<string> SafeFiles(string folder)
        {
            try
            {
                return Directory.Exists(folder) ? Directory.GetFiles(folder) : new string[0];
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return new string[0];
            }
        }

        static bool IsName(string t) => t != "." && t != ".." && t.IndexOf('/') < 0 && t.IndexOf('\0') < 0;

        static string Known()
        {
            string[] names = SafeFiles(NamedFolder).Select(System.IO.Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            return names.Length == 0 ? " (there are none; Get-TcpNetworkNamespace lists the unnamed ones)"
                : $" (named ones: {string.Join(", ", names.Take(10))}{(names.Length > 10 ? ", ..." : "")})";
        }

        /// <summary>Whether this process runs as root, which entering another namespace needs (CAP_SYS_ADMIN).</summary>
        public static bool IsRoot => s_linux && geteuid() == 0;

        [DllImport("libc")]
        static extern uint geteuid();

        /// <summary>PlatformNotSupported off Linux, naming what was given.</summary>
        public static void CheckPlatform(string given)
        {
            if (!s_linux)
                throw new TcpCloseException(ErrorIds.PlatformNotSupported, TcpErrorCategory.NotImplemented,
                    (string.IsNullOrEmpty(given) ? "Network" : $"'{given}': network") +
                    $" namespaces exist only on Linux, not on {RuntimeInformation.OSDescription}; leave -NetworkNamespace out here.",
                    string.IsNullOrEmpty(given) ? "NetworkNamespace" : given);
        }

        static TcpCloseException Invalid(string given, string why) =>
            new TcpCloseException(ErrorIds.InvalidNetworkNamespace, TcpErrorCategory.InvalidArgument,
                $"'{given}' is not a network namespace: {why}. Give an `ip netns` name, a path to a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE].",
                given);

        static TcpCloseException NotFound(string given, string why) =>
            new TcpCloseException(ErrorIds.NetworkNamespaceNotFound, TcpErrorCategory.ObjectNotFound,
                $"Network namespace '{given}' was not found: {why}. Get-TcpNetworkNamespace lists every network namespace on this host.",
                given);

        static TcpCloseException Denied(string given, string why) =>
            new TcpCloseException(ErrorIds.PermissionDenied, TcpErrorCategory.PermissionDenied,
                $"Cannot enter network namespace '{given}': {why}. Working in another network namespace needs root (CAP_SYS_ADMIN); run PowerShell with sudo.",
                given);

        static TcpCloseException OpenFailed(int errno, string path, string given)
        {
            switch (errno)
            {
                case LinuxNamespaces.EACCES:
                case LinuxNamespaces.EPERM:
                    return Denied(given, $"{path} is not readable by this user");
                case LinuxNamespaces.ENOENT:
                case LinuxNamespaces.ESRCH:
                case LinuxNamespaces.ENOTDIR:
                    return NotFound(given, $"{path} does not exist");
                default:
                    return NotFound(given, $"{path} could not be opened (errno {errno})");
            }
        }

        /// <summary>
        /// Runs <paramref name="work"/> inside this namespace and returns its result (or throws its
        /// exception). The current namespace runs it on the calling thread; any other on a new thread
        /// that joins the namespace, runs it, goes back and ends.
        /// </summary>
        /// <remarks>Errors: PermissionDenied (setns refused: no CAP_SYS_ADMIN), NetworkNamespaceNotFound
        /// (the namespace went away, or its path now leads to another one).</remarks>
        public T Run<T>(Func<T> work)
        {
            if (work == null)
                throw new ArgumentNullException(nameof(work));
            if (IsCurrent)
                return work();
            int fd = LinuxNamespaces.Open(Path);
            if (fd < 0)
                throw OpenFailed(-fd, Path, DisplayName);
            try
            {
                long id = LinuxNamespaces.NetInode(fd, out _);
                if (id != Id)
                    throw NotFound(DisplayName, $"{Path} no longer leads to it (the process or namespace is gone)");
                T result = default(T);
                ExceptionDispatchInfo failure = null;
                var thread = new Thread(() =>
                {
                    try
                    {
                        result = Inside(fd, work);
                    }
                    catch (Exception e)
                    {
                        failure = ExceptionDispatchInfo.Capture(e);
                    }
                }, 256 * 1024)
                { IsBackground = true, Name = "TcpClose " + DisplayName };
                thread.Start();
                thread.Join();
                failure?.Throw();
                return result;
            }
            finally
            {
                LinuxNamespaces.close(fd);
            }
        }

        /// <summary>On the namespace thread: join, work, go back. The thread ends right after, so even a
        /// failed return leaves no thread of the process in the namespace.</summary>
        T Inside<T>(int fd, Func<T> work)
        {
            int home = LinuxNamespaces.Open("/proc/thread-self/ns/net");
            if (home < 0)
                throw NotFound(DisplayName, $"this thread's own namespace could not be opened (errno {-home})");
            try
            {
                if (LinuxNamespaces.setns(fd, LinuxNamespaces.CLONE_NEWNET) != 0)
                {
                    int errno = Marshal.GetLastWin32Error();
                    if (errno == LinuxNamespaces.EPERM)
                        throw Denied(DisplayName, "the kernel refused setns (EPERM)");
                    throw NotFound(DisplayName, $"setns failed (errno {errno})");
                }
                Interlocked.Increment(ref s_entered);
                try
                {
                    return work();
                }
                finally
                {
                    LinuxNamespaces.setns(home, LinuxNamespaces.CLONE_NEWNET);
                }
            }
            finally
            {
                LinuxNamespaces.close(home);
            }
        }

        static long s_entered;

        /// <summary>How many times a thread joined another namespace in this process (the tests read it).</summary>
        internal static long Entered => Interlocked.Read(ref s_entered);

        /// <summary>Runs the work here when <paramref name="ns"/> is null (the caller's namespace), else inside it.</summary>
        internal static T RunIn<T>(NetworkNamespace ns, Func<T> work) => ns == null ? work() : ns.Run(work);

        /// <summary>The NetworkNamespace a row or result made here carries: null for the caller's own
        /// namespace when none was asked for, else the namespace's display name.</summary>
        internal static string Tag(NetworkNamespace ns) => ns?.DisplayName;
    }
}
