using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>
    /// Two network namespaces the tests make and remove: one named (`ip netns add`, port range
    /// 40000-40099, so its settings differ from the host's) and one unnamed, held only by a process
    /// (`unshare -n sleep`). Each has loopback up.
    /// </summary>
    public sealed class NamespaceFixture : IDisposable
    {
        public readonly string Name = "tcx-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        public readonly Process Holder;
        public readonly string HolderPid;

        public NamespaceFixture()
        {
            if (!NamespaceFactAttribute.CanRun)
                return;
            Run.Ok("ip", $"netns add {Name}");
            Run.Ok("ip", $"netns exec {Name} ip link set lo up");
            Run.Ok("ip", $"netns exec {Name} sysctl -q -w net.ipv4.ip_local_port_range=\"40000 40099\"");
            // tw_reuse 0: connect() then never recycles this test's own TIME_WAIT rows (TCP-NOTES).
            Run.Ok("ip", $"netns exec {Name} sysctl -q -w net.ipv4.tcp_tw_reuse=0");
            Holder = Process.Start(new ProcessStartInfo("unshare", "-n sleep 600") { UseShellExecute = false });
            HolderPid = Holder.Id.ToString();
            // unshare execs sleep in the same process once the namespace exists.
            Assert.True(Loopback.WaitFor(() => Run.Out("readlink", $"/proc/{HolderPid}/ns/net") != Run.Out("readlink", "/proc/self/ns/net")
                && Run.Out("cat", $"/proc/{HolderPid}/comm").Trim() == "sleep", TimeSpan.FromSeconds(10)), "unshare -n sleep did not start");
            Run.Ok("nsenter", $"-t {HolderPid} -n ip link set lo up");
        }

        public void Dispose()
        {
            if (!NamespaceFactAttribute.CanRun)
                return;
            TcpRegistry.CloseAll();
            try
            {
                Holder?.Kill();
                Holder?.WaitForExit(10000);
            }
            catch (InvalidOperationException)
            {
            }
            Holder?.Dispose();
            Run.Exec("ip", $"netns delete {Name}");
        }

        /// <summary>ss run inside the named namespace.</summary>
        public string SsNamed(string args) => Run.Ok("ip", $"netns exec {Name} ss {args}");

        /// <summary>ss run inside the unnamed namespace, through its process.</summary>
        public string SsUnnamed(string args) => Run.Ok("nsenter", $"-t {HolderPid} -n ss {args}");
    }

    /// <summary>Needs Linux, root (setns needs CAP_SYS_ADMIN) and ip, unshare and nsenter.</summary>
    public sealed class NamespaceFactAttribute : FactAttribute
    {
        internal static bool CanRun =>
            OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess && Run.Exists("ip") && Run.Exists("unshare") && Run.Exists("nsenter") && Run.Exists("ss");

        public NamespaceFactAttribute()
        {
            if (!OperatingSystem.IsLinux())
                Skip = "Linux only: network namespaces.";
            else if (!Environment.IsPrivilegedProcess)
                Skip = "Run as root: entering a network namespace needs CAP_SYS_ADMIN, and making one needs root.";
            else if (!CanRun)
                Skip = "Needs ip (iproute2), unshare and nsenter (util-linux) to make namespaces and ss to judge them.";
        }
    }

    /// <summary>Processes the tests start, bounded, with their exit code checked.</summary>
    internal static class Run
    {
        public static (int Code, string Out, string Err) Exec(string file, string args)
        {
            var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            var err = p.StandardError.ReadToEndAsync();
            string o = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(20000), $"{file} {args} did not finish");
            return (p.ExitCode, o, err.Result);
        }

        /// <summary>Output of a command that must succeed: a failing judge must never read as "no rows".</summary>
        public static string Ok(string file, string args)
        {
            var (code, o, e) = Exec(file, args);
            Assert.True(code == 0, $"{file} {args} exited {code}: {e}");
            return o;
        }

        public static string Out(string file, string args) => Exec(file, args).Out.Trim();

        public static bool Exists(string file) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, file)));
    }

    public sealed class NamespaceTests : IClassFixture<NamespaceFixture>
    {
        readonly NamespaceFixture _ns;

        public NamespaceTests(NamespaceFixture ns) => _ns = ns;

        NetworkNamespace Named => NetworkNamespace.Resolve(_ns.Name);
        NetworkNamespace Unnamed => NetworkNamespace.Resolve(_ns.HolderPid);

        /// <summary>Every thread of this process is in the process's own namespace.</summary>
        static void AssertNoThreadElsewhere()
        {
            string own = Run.Out("readlink", "/proc/self/ns/net".Replace("self", Environment.ProcessId.ToString()));
            foreach (string task in Directory.GetDirectories($"/proc/{Environment.ProcessId}/task"))
            {
                string link = Run.Exec("readlink", task + "/ns/net").Out.Trim();
                Assert.True(link.Length == 0 || link == own, $"thread {Path.GetFileName(task)} is in {link}, the process in {own}");
            }
        }

        /// <summary>Makes N TIME_WAIT rows in a namespace: a listener and clients made there, the server closing first.</summary>
        static List<(string, int, string, int)> MakeTimeWait(NetworkNamespace ns, int count)
        {
            var rows = new List<(string, int, string, int)>();
            Listener listener = TcpSockets.StartListener(new ListenerOptions { Port = 0, NetworkNamespace = ns });
            try
            {
                for (int i = 0; i < count; i++)
                {
                    Connection client = TcpSockets.Connect(new ConnectOptions
                    {
                        RemoteAddress = "127.0.0.1", RemotePort = listener.LocalPort, Timeout = TimeSpan.FromSeconds(5), NetworkNamespace = ns,
                    });
                    Connection server = listener.Accept(TimeSpan.FromSeconds(5));
                    // The client closes first: once the server's FIN arrives its side is in TIME_WAIT.
                    client.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
                    server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
                    rows.Add((client.LocalAddress, client.LocalPort, client.RemoteAddress, client.RemotePort));
                }
            }
            finally
            {
                listener.Dispose();
            }
            // Judged by ss in the same namespace: every row has reached TIME_WAIT.
            Assert.True(Loopback.WaitFor(() =>
            {
                var seen = SsTuples(SsIn(ns, "-Htan state time-wait"));
                return rows.All(t => seen.Contains(Tuple(t)));
            }, TimeSpan.FromSeconds(10)), "the TIME_WAIT rows did not appear in ss");
            return rows;
        }

        /// <summary>ss in a namespace (null: here), through a process that lives in it or its file.</summary>
        static string SsIn(NetworkNamespace ns, string args) =>
            ns == null || ns.IsCurrent ? Run.Ok("ss", args) : Run.Ok("nsenter", $"--net={ns.Path} ss {args}");

        static HashSet<string> SsTuples(string ssOutput) => new HashSet<string>(
            ssOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 4)
                .Select(f => f[^2] + " " + f[^1]));

        static string Tuple((string la, int lp, string ra, int rp) t) => $"{t.la}:{t.lp} {t.ra}:{t.rp}";

        [NamespaceFact]
        public void TimeWaitOfANamedNamespaceEqualsSsThereAndNoneReachTheHostsRead()
        {
            var made = MakeTimeWait(Named, 3);
            string ssThere = _ns.SsNamed("-Htan state time-wait");
            var judged = SsTuples(ssThere);
            foreach (var t in made)
                Assert.Contains(Tuple(t), judged); // positive control: ss sees them there

            var read = TcpTable.ReadTimeWait(new TcpTableFilter { NetworkNamespace = Named }).ToList();
            Assert.Equal(judged.OrderBy(x => x), read.Select(r => $"{r.LocalAddress}:{r.LocalPort} {r.RemoteAddress}:{r.RemotePort}").OrderBy(x => x));
            Assert.All(read, r => Assert.Equal(_ns.Name, r.NetworkNamespace));

            var host = TcpTable.ReadTimeWait(new TcpTableFilter()).Select(r => $"{r.LocalAddress}:{r.LocalPort} {r.RemoteAddress}:{r.RemotePort}").ToHashSet();
            var hostSs = SsTuples(Run.Ok("ss", "-Htan state time-wait"));
            foreach (var t in made)
            {
                Assert.DoesNotContain(Tuple(t), host);
                Assert.DoesNotContain(Tuple(t), hostSs);
            }
            Assert.All(TcpTable.ReadTimeWait(new TcpTableFilter()), r => Assert.Null(r.NetworkNamespace));
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void AnUnnamedNamespaceIsReadByPidAndByIdAndEqualsNsenterSs()
        {
            NetworkNamespace byPid = Unnamed;
            string link = Run.Out("readlink", $"/proc/{_ns.HolderPid}/ns/net");
            NetworkNamespace byId = NetworkNamespace.Resolve(link);
            NetworkNamespace byPath = NetworkNamespace.Resolve($"/proc/{_ns.HolderPid}/ns/net");
            Assert.Equal(link, byPid.DisplayName);
            Assert.Equal(byPid.Id, byId.Id);
            Assert.Equal(byPid.Id, byPath.Id);
            Assert.False(byPid.IsCurrent);

            var made = MakeTimeWait(byId, 2);
            var judged = SsTuples(_ns.SsUnnamed("-Htan state time-wait"));
            foreach (var t in made)
                Assert.Contains(Tuple(t), judged);
            var read = TcpTable.ReadTimeWait(new TcpTableFilter { NetworkNamespace = byPid })
                .Select(r => $"{r.LocalAddress}:{r.LocalPort} {r.RemoteAddress}:{r.RemotePort}").OrderBy(x => x);
            Assert.Equal(judged.OrderBy(x => x), read);
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void TheProcNetSourceReadsTheNamespacesFilesNotTheMainThreads()
        {
            var made = MakeTimeWait(Named, 1);
            var rows = TcpTable.ReadTimeWait(new TcpTableFilter { NetworkNamespace = Named, Source = TcpTableSource.ProcNet })
                .Select(r => $"{r.LocalAddress}:{r.LocalPort} {r.RemoteAddress}:{r.RemotePort}").ToList();
            Assert.Equal(SsTuples(_ns.SsNamed("-Htan state time-wait")).OrderBy(x => x), rows.OrderBy(x => x));
            Assert.Contains(Tuple(made[0]), rows);
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void SettingsAndPortUsageInANamespaceAreThatNamespaces()
        {
            string there = Run.Ok("ip", $"netns exec {_ns.Name} sysctl -n net.ipv4.ip_local_port_range").Trim();
            string host = Run.Ok("sysctl", "-n net.ipv4.ip_local_port_range").Trim();
            Assert.NotEqual("40000 40099", string.Join(" ", host.Split((char[])null, StringSplitOptions.RemoveEmptyEntries))); // positive control: they differ
            Assert.Equal("40000 40099", string.Join(" ", there.Split((char[])null, StringSplitOptions.RemoveEmptyEntries)));

            TcpSetting range = TcpSettings.Read(Named).Single(s => s.Name == "net.ipv4.ip_local_port_range");
            Assert.Equal(new PortRange(40000, 40099), range.Value);
            Assert.Equal(_ns.Name, range.NetworkNamespace);
            Assert.NotEqual(new PortRange(40000, 40099), TcpSettings.Read().Single(s => s.Name == "net.ipv4.ip_local_port_range").Value);

            var made = MakeTimeWait(Named, 3);
            PortUsageEntry usage = PortUsage.Read(null, new[] { made[0].Item4 }, Named).Single();
            Assert.Equal(100, usage.EphemeralPorts);
            Assert.Equal(3, usage.TimeWait + usage.Established + usage.Other);
            Assert.Equal(_ns.Name, usage.NetworkNamespace);
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void ListenerAndConnectionMadeInANamespaceAppearInItsSsOnly()
        {
            using Listener listener = TcpSockets.StartListener(new ListenerOptions { Port = 0, NetworkNamespace = Named });
            Assert.Equal(_ns.Name, listener.NetworkNamespace);
            // Connected from this (test) thread: the socket made inside keeps its namespace.
            Connection client = TcpSockets.Connect(new ConnectOptions
            {
                RemoteAddress = "127.0.0.1", RemotePort = listener.LocalPort, Timeout = TimeSpan.FromSeconds(5), NetworkNamespace = Named,
            });
            Connection server = listener.Accept(TimeSpan.FromSeconds(5));
            Assert.Equal(_ns.Name, server.NetworkNamespace);

            string there = _ns.SsNamed($"-Htanp state all sport = :{listener.LocalPort}");
            Assert.Contains($"127.0.0.1:{listener.LocalPort}", there);
            Assert.Contains($"pid={Environment.ProcessId},", there);
            Assert.Contains($"127.0.0.1:{client.LocalPort}", _ns.SsNamed($"-Htan state established sport = :{client.LocalPort}"));
            Assert.DoesNotContain($":{listener.LocalPort} ", Run.Ok("ss", $"-Htan state all sport = :{listener.LocalPort}") + " ");
            Assert.Empty(_ns.SsUnnamed($"-Htan state all sport = :{listener.LocalPort}").Trim());

            // Nothing listens on the host at that port: a connection made here is refused.
            var e = Assert.Throws<TcpCloseException>(() => TcpSockets.Connect(new ConnectOptions
            {
                RemoteAddress = "127.0.0.1", RemotePort = listener.LocalPort, Timeout = TimeSpan.FromSeconds(5), NetworkNamespace = Unnamed,
            }));
            Assert.Equal(ErrorIds.ConnectionRefused, e.ErrorId);
            client.Dispose();
            server.Dispose();
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void TestBindInANamespaceNamesTheHolderThere()
        {
            using Listener listener = TcpSockets.StartListener(new ListenerOptions { Port = 0, NetworkNamespace = Named });
            BindTestResult there = BindDiagnosis.Test(new BindTestOptions { Port = listener.LocalPort, NetworkNamespace = Named });
            Assert.False(there.CanBind);
            Assert.Equal("AddressAlreadyInUse", there.Error);
            TcpTableEntry holder = Assert.Single(there.BlockedBy);
            Assert.Equal(Environment.ProcessId, holder.OwningProcess);
            Assert.Contains($"process {Environment.ProcessId}", there.Advice);
            Assert.Equal(_ns.Name, there.NetworkNamespace);
            // The judge: ss there names this process as the listener's owner.
            Assert.Contains($"pid={Environment.ProcessId},", _ns.SsNamed($"-Htlnp sport = :{listener.LocalPort}"));

            // The unnamed namespace has nothing on that port.
            Assert.True(BindDiagnosis.Test(new BindTestOptions { Port = listener.LocalPort, NetworkNamespace = Unnamed }).CanBind);

            // A second listener there fails with AddressInUse naming the holder.
            var e = Assert.Throws<TcpCloseException>(() => TcpSockets.StartListener(new ListenerOptions { Port = listener.LocalPort, NetworkNamespace = Named }));
            Assert.Equal(ErrorIds.AddressInUse, e.ErrorId);
            Assert.Contains($"process {Environment.ProcessId}", e.Message);
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void RemovingANamespacesTimeWaitLeavesTheOthersRowsAlone()
        {
            var named = MakeTimeWait(Named, 2);
            var unnamed = MakeTimeWait(Unnamed, 1);
            var host = MakeTimeWait(null, 1);
            Assert.Contains(Tuple(unnamed[0]), SsTuples(_ns.SsUnnamed("-Htan state time-wait")));
            Assert.Contains(Tuple(host[0]), SsTuples(Run.Ok("ss", "-Htan state time-wait")));
            foreach (var t in named)
                Assert.Contains(Tuple(t), SsTuples(_ns.SsNamed("-Htan state time-wait")));

            var rows = TcpTable.ReadTimeWait(new TcpTableFilter { NetworkNamespace = Named }).ToList();
            var results = new List<RemovalResult>();
            using (TcpRowRemoval removal = TcpRowRemoval.Open(Named))
                removal.Remove(rows.Select(TcpRowKey.From), (r, e) => results.Add(r));
            Assert.All(results, r => Assert.True(r.Removed, r.ToString()));
            Assert.All(results, r => Assert.Equal(_ns.Name, r.NetworkNamespace));

            Assert.Empty(_ns.SsNamed("-Htan state time-wait").Trim());
            Assert.Contains(Tuple(unnamed[0]), SsTuples(_ns.SsUnnamed("-Htan state time-wait")));
            Assert.Contains(Tuple(host[0]), SsTuples(Run.Ok("ss", "-Htan state time-wait")));
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void TheSurveyIsLsnsPlusTheNamedOnes()
        {
            // A process may start or end between the two reads: compare up to three times.
            HashSet<long> expected = null, listed = null;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                expected = Run.Ok("lsns", "-t net -n -o NS").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToHashSet();
                foreach (string file in Directory.GetFiles("/run/netns"))
                    expected.Add(long.Parse(Run.Ok("stat", $"-L -c %i {file}").Trim()));
                listed = NetworkNamespaceSurvey.List(null, null).Select(n => n.Id).ToHashSet();
                if (expected.SetEquals(listed))
                    break;
            }
            Assert.Contains(Unnamed.Id, expected); // positive controls: lsns sees the unnamed one, stat the named one
            Assert.Contains(Named.Id, expected);
            Assert.Equal(expected.OrderBy(x => x), listed.OrderBy(x => x));

            var all = NetworkNamespaceSurvey.List(null, null).ToList();
            TcpNetworkNamespace current = Assert.Single(all, n => n.IsCurrent);
            Assert.Equal(Run.Out("readlink", $"/proc/{Environment.ProcessId}/ns/net"), NetworkNamespace.Text(current.Id));
            Assert.Same(current, all[0]);
            TcpNetworkNamespace named = Assert.Single(all, n => n.Name == _ns.Name);
            Assert.Equal(_ns.Name, named.NetworkNamespace);
            TcpNetworkNamespace unnamed = Assert.Single(all, n => n.Id == Unnamed.Id);
            Assert.Equal(int.Parse(_ns.HolderPid), unnamed.ProcessId);
            Assert.Equal("sleep", unnamed.ProcessName);
            Assert.Equal(1, unnamed.ProcessCount);
            Assert.Null(unnamed.Name);
        }

        [NamespaceFact]
        public void TheSurveyCountsEachTableAsSsDoes()
        {
            MakeTimeWait(Named, 2);
            using Listener listener = TcpSockets.StartListener(new ListenerOptions { Port = 0, NetworkNamespace = Named });
            TcpNetworkNamespace n = NetworkNamespaceSurvey.List(name => name == _ns.Name, null).Single();
            int Lines(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            Assert.Equal(Lines(_ns.SsNamed("-Htan state time-wait")), n.TimeWait);
            Assert.Equal(Lines(_ns.SsNamed("-Htan state listening")), n.Listen);
            Assert.Equal(Lines(_ns.SsNamed("-Htan state established")), n.Established);
            Assert.True(n.TimeWait >= 2 && n.Listen >= 1);
        }

        [NamespaceFact]
        public void AProcessInAContainersCgroupGivesItsContainerAndPod()
        {
            string root = new[] { "/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup" }
                .FirstOrDefault(d => File.Exists(Path.Combine(d, "cgroup.procs")));
            Assert.True(root != null, "no writable cgroup hierarchy with cgroup.procs");
            string container = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");
            string pod = Guid.NewGuid().ToString();
            string[] levels =
            {
                "kubepods.slice", "kubepods-besteffort.slice", $"kubepods-besteffort-pod{pod.Replace('-', '_')}.slice", $"cri-containerd-{container}.scope",
            };
            var dirs = new List<string>();
            string dir = root;
            using var sleeper = Process.Start(new ProcessStartInfo("unshare", "-n sleep 60") { UseShellExecute = false });
            try
            {
                foreach (string level in levels)
                {
                    dir = Path.Combine(dir, level);
                    Directory.CreateDirectory(dir);
                    dirs.Add(dir);
                }
                File.WriteAllText(Path.Combine(dir, "cgroup.procs"), sleeper.Id.ToString());
                Assert.Contains($"cri-containerd-{container}.scope", File.ReadAllText($"/proc/{sleeper.Id}/cgroup")); // the judge
                Assert.True(Loopback.WaitFor(() => Run.Out("readlink", $"/proc/{sleeper.Id}/ns/net") != Run.Out("readlink", "/proc/self/ns/net"), TimeSpan.FromSeconds(10)));
                long id = NetworkNamespace.Resolve(sleeper.Id.ToString()).Id;
                TcpNetworkNamespace n = NetworkNamespaceSurvey.List(null, new[] { id }).Single();
                Assert.Equal(container, n.ContainerId);
                Assert.Equal(pod, n.PodUid);
            }
            finally
            {
                sleeper.Kill();
                sleeper.WaitForExit(10000);
                for (int i = dirs.Count - 1; i >= 0; i--)
                    Loopback.WaitFor(() => { try { Directory.Delete(dirs[i]); return true; } catch (IOException) { return false; } }, TimeSpan.FromSeconds(5));
            }
            Assert.All(dirs, d => Assert.False(Directory.Exists(d), d + " was left behind"));
        }

        [Theory]
        [InlineData("/sys/fs/cgroup/system.slice/docker-{0}.scope", true, false)]
        [InlineData("0::/system.slice/crio-{0}.scope", true, false)]
        [InlineData("0::/machine.slice/libpod-{0}.scope/container", true, false)]
        [InlineData("12:pids:/docker/{0}", true, false)]
        [InlineData("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_0000_4000_8000_123456789abc.slice/cri-containerd-{0}.scope", true, true)]
        [InlineData("11:memory:/kubepods/burstable/pod1b2c3d4e-0000-4000-8000-123456789abc/{0}", true, true)]
        [InlineData("0::/user.slice/user-1000.slice/session-2.scope", false, false)]
        [InlineData("0::/system.slice/docker-{0}x.scope", false, false)]
        public void ContainerAndPodIdsAreReadFromRecordedCgroupPaths(string line, bool hasContainer, bool hasPod)
        {
            string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
            string text = string.Format(line, id) + "\n";
            Assert.Equal(hasContainer ? id : null, NetworkNamespaceSurvey.ContainerIdOf(text));
            Assert.Equal(hasPod ? "1b2c3d4e-0000-4000-8000-123456789abc" : null, NetworkNamespaceSurvey.PodUidOf(text));
        }

        [NamespaceFact]
        public void BadValuesGiveTheirIdsAndLeaveNoThreadOrDescriptor()
        {
            HashSet<long> before = Loopback.OpenFds();
            long entered = NetworkNamespace.Entered;
            void Expect(string id, string value)
            {
                var e = Assert.Throws<TcpCloseException>(() => NetworkNamespace.Resolve(value));
                Assert.Equal(id, e.ErrorId);
                Assert.Equal(value, e.Target);
                Assert.Contains(value.Trim().Length == 0 ? "blank" : value, e.Message);
            }
            Expect(ErrorIds.InvalidNetworkNamespace, "");
            Expect(ErrorIds.InvalidNetworkNamespace, "  ");
            Expect(ErrorIds.InvalidNetworkNamespace, "net:[abc]");
            Expect(ErrorIds.InvalidNetworkNamespace, "net:[]");
            Expect(ErrorIds.InvalidNetworkNamespace, "..");
            Expect(ErrorIds.NetworkNamespaceNotFound, "tcx-no-such-name");
            Expect(ErrorIds.NetworkNamespaceNotFound, "/etc/hostname");
            Expect(ErrorIds.NetworkNamespaceNotFound, "/proc/self/ns/mnt");
            Expect(ErrorIds.NetworkNamespaceNotFound, "/no/such/file");
            Expect(ErrorIds.NetworkNamespaceNotFound, "999999999");
            Expect(ErrorIds.NetworkNamespaceNotFound, "net:[1]");
            Assert.Contains("mnt namespace", Assert.Throws<TcpCloseException>(() => NetworkNamespace.Resolve("/proc/self/ns/mnt")).Message);
            Assert.Equal(TcpErrorCategory.ObjectNotFound, Assert.Throws<TcpCloseException>(() => NetworkNamespace.Resolve("/etc/hostname")).Category);
            Assert.Equal(entered, NetworkNamespace.Entered); // nothing was entered
            Loopback.AssertNoFdLeak(before);
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void AFailureInsideTheNamespaceIsThrownHereAndNoThreadStaysThere()
        {
            long entered = NetworkNamespace.Entered;
            var e = Assert.Throws<InvalidOperationException>(() => Named.Run<int>(() => throw new InvalidOperationException("inside")));
            Assert.Equal("inside", e.Message);
            Assert.Equal(entered + 1, NetworkNamespace.Entered); // positive control: it did go in
            // The work ran in the namespace; this thread never left its own.
            Assert.Equal(NetworkNamespace.Text(Named.Id), Named.Run(() => new FileInfo("/proc/thread-self/ns/net").LinkTarget));
            Assert.Equal(Run.Out("readlink", $"/proc/{Environment.ProcessId}/ns/net"), new FileInfo("/proc/thread-self/ns/net").LinkTarget);
            AssertNoThreadElsewhere();
        }

        [NamespaceFact]
        public void TheCurrentNamespaceRunsOnTheCallingThreadWithoutEntering()
        {
            NetworkNamespace current = NetworkNamespace.Resolve(Run.Out("readlink", $"/proc/{Environment.ProcessId}/ns/net"));
            Assert.True(current.IsCurrent);
            long entered = NetworkNamespace.Entered;
            int thread = Environment.CurrentManagedThreadId;
            Assert.Equal(thread, current.Run(() => Environment.CurrentManagedThreadId));
            Assert.Equal(entered, NetworkNamespace.Entered);
            Assert.NotEqual(thread, Named.Run(() => Environment.CurrentManagedThreadId));
        }
    }
}
