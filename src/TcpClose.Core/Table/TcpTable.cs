using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>
    /// The OS's TCP table, every process. Rows stream out as they are read (constant memory in the
    /// table size); the best source for the OS is chosen unless one is named.
    /// </summary>
    /// <remarks>
    /// Linux: netlink inet_diag (state and port filters run in the kernel), falling back to
    /// /proc/net/tcp{,6} when netlink is refused. Windows: GetExtendedTcpTable (PIDs; TIME_WAIT time
    /// estimated). macOS and others: IPGlobalProperties (no PIDs, no timers: TIME_WAIT time estimated
    /// from first sight + 2*MSL, and a row that was already there is taken as fresh).
    /// Every filter is applied whatever the source, so the rows are exactly those that match.
    /// Sockets bound to a port but idle (<see cref="TcpState.Bound"/>) are listed only when that state
    /// is asked for, and only through netlink on Linux 6.9+ (the kernel walks its bind hash for them);
    /// /proc/net/tcp and the other OS tables never list them.
    /// Argument errors (InvalidAddress, InvalidPort, PlatformNotSupported for a named source) are
    /// thrown by the call; TcpTableUnavailable is thrown while enumerating.
    /// </remarks>
    public static class TcpTable
    {
        static readonly bool s_linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
        static readonly bool s_windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>The source <see cref="Read(TcpTableFilter)"/> uses on this OS unless the filter names one.</summary>
        public static TcpTableSource DefaultSource =>
            s_linux ? TcpTableSource.Netlink : s_windows ? TcpTableSource.WindowsTcpTable : TcpTableSource.IPGlobalProperties;

        /// <summary>
        /// Rows matching the filter: the one way to read the table, for every cmdlet and reader.
        /// The filter also says where to read (<see cref="TcpTableFilter.Source"/>: the OS's best
        /// source by default, falling back when it is refused; a named one only, PlatformNotSupported
        /// where it does not exist) and who hears of skipped rows and fall-backs
        /// (<see cref="TcpTableFilter.OnWarning"/>). Owners are found when first read (SocketOwners).
        /// Argument errors are thrown by the call; TcpTableUnavailable while enumerating.
        /// </summary>
        public static IEnumerable<TcpTableEntry> Read(TcpTableFilter filter)
        {
            var (query, source, fallBack, warnings) = Query(filter, timeWaitOnly: false);
            return Entries(query, source, fallBack, warnings);
        }

        /// <summary>The TIME_WAIT rows matching the filter (its States are ignored), with time left; as <see cref="Read"/> otherwise.</summary>
        public static IEnumerable<TimeWaitEntry> ReadTimeWait(TcpTableFilter filter)
        {
            var (query, source, fallBack, warnings) = Query(filter, timeWaitOnly: true);
            return TimeWaitEntries(query, source, fallBack, warnings);
        }

        static (TcpTableQuery, TcpTableSource, bool, TcpTableWarnings) Query(TcpTableFilter filter, bool timeWaitOnly)
        {
            if (filter == null)
                throw new ArgumentNullException(nameof(filter));
            if (filter.Source.HasValue)
                CheckSource(filter.Source.Value);
            if (filter.NetworkNamespace != null && !filter.NetworkNamespace.IsCurrent && filter.Source.HasValue
                && filter.Source != TcpTableSource.Netlink && filter.Source != TcpTableSource.ProcNet)
                throw new TcpCloseException(ErrorIds.PlatformNotSupported, TcpErrorCategory.NotImplemented,
                    $"The TCP table source {filter.Source} cannot read another network namespace; use Netlink or ProcNet.", filter.Source);
            var query = new TcpTableQuery(filter, timeWaitOnly);
            return (query, filter.Source ?? DefaultSource, !filter.Source.HasValue, new TcpTableWarnings(filter.OnWarning));
        }

        static void CheckSource(TcpTableSource source)
        {
            bool exists;
            switch (source)
            {
                case TcpTableSource.Netlink:
                case TcpTableSource.ProcNet:
                    exists = s_linux;
                    break;
                case TcpTableSource.WindowsTcpTable:
                    exists = s_windows;
                    break;
                case TcpTableSource.IPGlobalProperties:
                    exists = true;
                    break;
                default:
                    throw new TcpCloseException(ErrorIds.PlatformNotSupported, TcpErrorCategory.InvalidArgument,
                        $"Unknown TCP table source {(int)source}.", source);
            }
            if (!exists)
                throw new TcpCloseException(ErrorIds.PlatformNotSupported, TcpErrorCategory.NotImplemented,
                    $"The TCP table source {source} does not exist on {RuntimeInformation.OSDescription}. Use {DefaultSource} or IPGlobalProperties.", source);
        }

        /// <summary>The raw rows matching the filter, endpoint filters applied, no owners: for counting readers.</summary>
        internal static IEnumerable<(TcpTableSource, RawTcpRow)> RawRows(TcpTableFilter filter)
        {
            var (query, source, fallBack, warnings) = Query(filter, timeWaitOnly: false);
            return Rows(query, source, fallBack, warnings);
        }

        static IEnumerable<TcpTableEntry> Entries(TcpTableQuery q, TcpTableSource source, bool fallBack, TcpTableWarnings warnings)
        {
            string where = q.NamespaceTag;
            var names = new AddressTextCache();
            var owners = new SocketOwners();
            bool linux = source == TcpTableSource.Netlink || source == TcpTableSource.ProcNet;
            // -OwningProcess on Linux: only those processes' descriptors are read, never the host's.
            Dictionary<long, int> only = linux && q.FiltersPids ? SocketOwners.SocketsOf(q.OwningPids) : null;
            foreach (var (src, row) in Rows(q, source, fallBack, warnings))
            {
                RawTcpRow r = row;
                int? pid = null;
                // Linux: the owner of a row with a socket (inode 0: TIME_WAIT and request sockets,
                // which no process holds) is found when first asked for, by the read's SocketOwners.
                bool later = false;
                if (only != null)
                {
                    if (r.Inode <= 0 || !only.TryGetValue(r.Inode, out int holder))
                        continue;
                    pid = holder;
                }
                else if (linux)
                    later = r.Inode > 0;
                else if (r.Pid >= 0)
                    pid = r.Pid;
                if (!q.MatchesPid(pid))
                    continue;
                string processName = pid.HasValue ? owners.NameOf(pid.Value, linux) : null;
                TimeSpan? timer = r.TimerMs >= 0 && !r.TimerEstimated ? TimeSpan.FromMilliseconds(r.TimerMs) : (TimeSpan?)null;
                yield return new TcpTableEntry(names.Get(r.Local), r.LocalPort, names.Get(r.Remote), r.RemotePort, r.State,
                    pid, processName, timer, linux ? r.Inode : (long?)null, src)
                {
                    KernelId = r.Id,
                    // The first-seen estimate (Windows, macOS) is no OS timer, so TimerRemaining stays
                    // null; the bind diagnosis still needs it to say how long TIME_WAIT holds a port.
                    TimeWaitLeft = r.State == TcpState.TimeWait && r.TimerMs >= 0 ? TimeSpan.FromMilliseconds(r.TimerMs) : (TimeSpan?)null,
                    TimeWaitLeftEstimated = r.TimerEstimated,
                    NetworkNamespace = where,
                }.OwnedLater(later ? owners : null);
            }
        }

        static IEnumerable<TimeWaitEntry> TimeWaitEntries(TcpTableQuery q, TcpTableSource source, bool fallBack, TcpTableWarnings warnings)
        {
            // No process holds a TIME_WAIT socket, so an OwningProcesses filter matches none.
            if (q.FiltersPids)
                return new TimeWaitEntry[0];
            return new TimeWaitReading(q, () => Batches(q, source, fallBack, warnings));
        }

        /// <summary>Matching raw rows from the source (or the fall-back), tagged with the source that gave them.</summary>
        /// <remarks>Also the input of aggregating readers (<see cref="PortUsage"/>) that need no row objects.</remarks>
        internal static IEnumerable<(TcpTableSource, RawTcpRow)> Rows(TcpTableQuery q, TcpTableSource source, bool fallBack, TcpTableWarnings warnings)
        {
            foreach (RowBatch batch in Batches(q, source, fallBack, warnings))
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    RawTcpRow r = batch.Rows[i];
                    if (q.Matches(ref r))
                        yield return (batch.Source, r);
                }
            }
        }

        /// <summary>
        /// The source's rows (or the fall-back's), a batch at a time, tagged with the source that gave them;
        /// not yet matched against the query's endpoint filters (the caller does that per row).
        /// </summary>
        static IEnumerable<RowBatch> Batches(TcpTableQuery q, TcpTableSource source, bool fallBack, TcpTableWarnings warnings)
        {
            TcpTableSource current = source;
            while (true)
            {
                IEnumerator<RowBatch> e;
                TcpTableSource? next = null;
                bool any = false;
                string refusal = null;
                try
                {
                    e = Open(q, current, warnings).GetEnumerator();
                }
                catch (TcpSourceRefusedException ex)
                {
                    e = null;
                    refusal = ex.Message;
                }
                if (e != null)
                {
                    using (e)
                    {
                        while (true)
                        {
                            bool has;
                            try
                            {
                                has = e.MoveNext();
                            }
                            catch (TcpSourceRefusedException ex)
                            {
                                if (any)
                                    throw Unavailable(current, ex.Message, ex);
                                refusal = ex.Message;
                                break;
                            }
                            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException
                                || ex is NetworkInformationException || ex is DllNotFoundException || ex is EntryPointNotFoundException)
                            {
                                throw Unavailable(current, ex.Message, ex);
                            }
                            if (!has)
                                break;
                            RowBatch batch = e.Current;
                            any |= batch.Count > 0;
                            batch.Source = current;
                            yield return batch;
                        }
                    }
                }
                if (refusal == null)
                    yield break;
                if (fallBack)
                    next = FallBackFor(current);
                if (next == null)
                    throw Unavailable(current, refusal, null);
                warnings.Add($"{current} refused ({refusal}); reading the table through {next.Value} instead.");
                current = next.Value;
            }
        }

        static TcpTableSource? FallBackFor(TcpTableSource s)
        {
            switch (s)
            {
                case TcpTableSource.Netlink: return TcpTableSource.ProcNet;
                case TcpTableSource.WindowsTcpTable: return TcpTableSource.IPGlobalProperties;
                default: return null;
            }
        }

        static TcpCloseException Unavailable(TcpTableSource source, string why, Exception inner) =>
            new TcpCloseException(ErrorIds.TcpTableUnavailable, TcpErrorCategory.ResourceUnavailable,
                $"The TCP table could not be read through {source}: {why}", source, inner);

        static IEnumerable<RowBatch> Open(TcpTableQuery q, TcpTableSource source, TcpTableWarnings warnings)
        {
            switch (source)
            {
                case TcpTableSource.Netlink:
                {
                    // One port on a side goes into the request's sockid (checked before bytecode); more need bytecode.
                    int sport = SinglePort(q.LocalPorts), dport = SinglePort(q.RemotePorts);
                    return NetlinkTcpReader.ReadBatches(LinuxTcpStates.ToMask(q.States), sport, dport,
                        InetDiagRequest.BuildPortBytecode(sport > 0 ? null : q.LocalPorts, dport > 0 ? null : q.RemotePorts), warnings, true, q.Namespace);
                }
                case TcpTableSource.ProcNet:
                    return Batched(ProcNetRows(warnings, q.Namespace));
                case TcpTableSource.WindowsTcpTable:
                    return Batched(WindowsRows());
                default:
                    return Batched(GlobalPropertiesRows());
            }
        }

        /// <summary>A row-at-a-time source in batches of 256, each stamped with the time its first row was read.</summary>
        static IEnumerable<RowBatch> Batched(IEnumerable<RawTcpRow> rows)
        {
            var batch = new RowBatch(256);
            foreach (RawTcpRow r in rows)
            {
                if (batch.Count == 0)
                    batch.ObservedAt = DateTime.UtcNow;
                batch.Rows[batch.Count++] = r;
                if (batch.Count == batch.Rows.Length)
                {
                    yield return batch;
                    batch.Count = 0;
                }
            }
            if (batch.Count > 0)
                yield return batch;
        }

        /// <summary>The port when the list holds exactly one distinct non-zero port (0 in sockid means any), else 0.</summary>
        static int SinglePort(IReadOnlyList<int> ports)
        {
            if (ports == null || ports.Count == 0)
                return 0;
            int p = ports[0];
            for (int i = 1; i < ports.Count; i++)
                if (ports[i] != p)
                    return 0;
            return p;
        }

        static IEnumerable<RawTcpRow> ProcNetRows(TcpTableWarnings warnings, NetworkNamespace ns)
        {
            // /proc/net is the main thread's namespace, whatever thread reads it (TCP-NOTES): inside
            // another one the files are opened through /proc/thread-self by the namespace's thread, and
            // an open file keeps the namespace it was opened in.
            if (ns == null || ns.IsCurrent)
            {
                foreach (var r in LinuxProcNet.ReadFile(LinuxProcNet.Tcp4Path, warnings))
                    yield return r;
                foreach (var r in LinuxProcNet.ReadFile(LinuxProcNet.Tcp6Path, warnings))
                    yield return r;
                yield break;
            }
            var (v4, v6) = ns.Run(() => (LinuxProcNet.Open(LinuxProcNet.ThreadTcp4Path), LinuxProcNet.Open(LinuxProcNet.ThreadTcp6Path)));
            using (v4)
            using (v6)
            {
                foreach (var r in LinuxProcNet.ReadFile(v4, LinuxProcNet.Tcp4Path, warnings))
                    yield return r;
                foreach (var r in LinuxProcNet.ReadFile(v6, LinuxProcNet.Tcp6Path, warnings))
                    yield return r;
            }
        }

        static IEnumerable<RawTcpRow> WindowsRows()
        {
            long twMs = (long)TcpSettings.TimeWaitLength().TotalMilliseconds;
            foreach (bool v6 in new[] { false, true })
            {
                byte[] table = WindowsTcpTable.Snapshot(v6 ? WindowsTcpTable.AF_INET6 : WindowsTcpTable.AF_INET);
                int n = WindowsTcpTable.RowCount(table, v6);
                for (int i = 0; i < n; i++)
                {
                    if (!WindowsTcpTable.TryParseRow(table, i, v6, out RawTcpRow r))
                        break;
                    if (r.State == TcpState.TimeWait)
                        Estimate(ref r, twMs);
                    yield return r;
                }
            }
        }

        /// <remarks>
        /// What this source lacks (the macOS/BSD default): no PIDs or process names, no timers (TIME_WAIT
        /// time is first-seen + 2*MSL, IsEstimated), no kernel-side filtering (the whole table is copied
        /// into an array first, so memory grows with the table), and bugs of its own on some platforms
        /// (dotnet/runtime#63099, dotnet/corefx#33257). macOS's net.inet.tcp.pcblist_n sysctl would give
        /// more; it is not read here.
        /// </remarks>
        static IEnumerable<RawTcpRow> GlobalPropertiesRows()
        {
            long twMs = (long)TcpSettings.TimeWaitLength().TotalMilliseconds;
            var props = IPGlobalProperties.GetIPGlobalProperties();
            TcpConnectionInformation[] conns = props.GetActiveTcpConnections();
            bool sawListen = false;
            foreach (var c in conns)
            {
                var r = new RawTcpRow
                {
                    Local = IPKey.FromAddress(c.LocalEndPoint.Address),
                    LocalPort = c.LocalEndPoint.Port,
                    Remote = IPKey.FromAddress(c.RemoteEndPoint.Address),
                    RemotePort = c.RemoteEndPoint.Port,
                    State = FromNet(c.State),
                    TimerMs = -1,
                    Inode = -1,
                    Pid = -1,
                };
                sawListen |= r.State == TcpState.Listen;
                if (r.State == TcpState.TimeWait)
                    Estimate(ref r, twMs);
                yield return r;
            }
            // Some platforms leave listeners out of GetActiveTcpConnections; add them from the listener list.
            if (!sawListen)
            {
                foreach (var ep in props.GetActiveTcpListeners())
                {
                    bool v6 = ep.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
                    yield return new RawTcpRow
                    {
                        Local = IPKey.FromAddress(ep.Address),
                        LocalPort = ep.Port,
                        Remote = v6 ? new IPKey(0, 0) : IPKey.FromV4(0),
                        RemotePort = 0,
                        State = TcpState.Listen,
                        TimerMs = -1,
                        Inode = -1,
                        Pid = -1,
                    };
                }
            }
        }

        static void Estimate(ref RawTcpRow r, long timeWaitMs)
        {
            r.TimerMs = TimeWaitEstimate.RemainingMs(ref r, timeWaitMs, DateTime.UtcNow);
            r.TimerEstimated = true;
        }

        /// <summary>.NET's TcpState has MIB_TCP_STATE numbers, like ours.</summary>
        static TcpState FromNet(System.Net.NetworkInformation.TcpState s)
        {
            int v = (int)s;
            return v >= 1 && v <= 12 ? (TcpState)v : TcpState.Unknown;
        }
    }
}
