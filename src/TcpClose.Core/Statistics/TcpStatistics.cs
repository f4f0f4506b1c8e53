using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>
    /// The kernel's counters of how TCP connections started and ended, read where the OS keeps them,
    /// each with a plain description; and the deltas between two readings.
    /// </summary>
    /// <remarks>
    /// Linux: the Tcp line of /proc/net/snmp and the TcpExt line of /proc/net/netstat (what nstat and
    /// netstat -s read), per network namespace; inside another one they are read by a thread in it
    /// through /proc/thread-self/net, since /proc/net is the main thread's namespace. Windows:
    /// GetTcpStatisticsEx2 for IPv4 and IPv6, summed (GetTcpStatisticsEx where Ex2 is missing).
    /// macOS: the net.inet.tcp.stats sysctl (struct tcpstat). Each OS has one builder from raw data
    /// (<c>FromLinux</c>, <c>FromWindows</c>, <c>FromMac</c>), tested with recorded data.
    /// </remarks>
    public static class TcpStatistics
    {
        static readonly bool s_linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
        static readonly bool s_windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        internal const string SnmpPath = "/proc/net/snmp", NetstatPath = "/proc/net/netstat";

        /// <summary>A counter the module knows: its description, and whether Get-TcpStatistic shows it by default.</summary>
        sealed class Known
        {
            internal readonly string Description;
            internal readonly bool ByDefault, Gauge;

            internal Known(string description, bool byDefault = false, bool gauge = false)
            {
                Description = description;
                ByDefault = byDefault;
                Gauge = gauge;
            }
        }

        // Linux names as the files spell them, in the order Get-TcpStatistic lists the default set.
        // The descriptions say what makes each count (kernel sources: net/ipv4/tcp*.c,
        // inet_timewait_sock.c), measured here where the module's close styles move them.
        static readonly KeyValuePair<string, Known>[] s_linux_known =
        {
            K("ActiveOpens", "connect() started a connection (SYN sent): New-TcpConnection, Test-TcpPort.", true),
            K("PassiveOpens", "A listener answered a SYN (SYN-ACK sent): one per connection a listener accepts.", true),
            K("AttemptFails", "A connection attempt failed: SYN_SENT or SYN_RECV went to CLOSED (refused, timed out, reset).", true),
            K("EstabResets", "A connection went from ESTABLISHED or CLOSE_WAIT straight to CLOSED: an abort (-Abort, close with unread data) or an RST received.", true),
            K("OutRsts", "Segments sent with RST: aborts (-Abort, linger 0), closes with unread data, answers to a SYN or segment no socket wants (a refused connect).", true),
            K("ListenOverflows", "A handshake completed but the listener's accept queue was full (listen backlog, net.core.somaxconn): the connection was dropped.", true),
            K("ListenDrops", "A SYN or handshake for a listener was dropped for any reason, accept-queue overflows included.", true),
            K("TCPReqQFullDrop", "A SYN was dropped because the listener's SYN queue was full and SYN cookies were off.", true),
            K("TCPSynRetrans", "A SYN or SYN-ACK was sent again: the peer is slow or gone, or its listener's queue is full.", true),
            K("TCPAbortOnData", "A socket was closed with SO_LINGER 0 (Close-TcpConnection -Abort), or data arrived after this side closed: an RST was sent.", true),
            K("TCPAbortOnClose", "A socket was closed with unread received data, so an RST was sent instead of a FIN (RFC 2525).", true),
            K("TCPAbortOnMemory", "A closed socket still sending was reset for lack of memory (tcp_mem) or past net.ipv4.tcp_max_orphans.", true),
            K("TCPAbortOnTimeout", "A connection was reset after its retransmits, SYN retries or keepalive probes ran out.", true),
            K("TCPAbortOnLinger", "A closed socket's FIN_WAIT_2 wait (net.ipv4.tcp_fin_timeout, TCP_LINGER2) ended with an RST.", true),
            K("TCPAbortFailed", "An abort could not send its RST (no memory).", true),
            K("TW", "A socket went to TIME_WAIT (the side that closed first) or a closed one to a FIN_WAIT_2 wait of over 4 s; counted as the row is made.", true),
            K("TWRecycled", "connect() took over the 4-tuple of a TIME_WAIT row (net.ipv4.tcp_tw_reuse).", true),
            K("TWKilled", "A closed socket's FIN_WAIT_2 wait was kept for 4 s or less (a short tcp_fin_timeout).", true),
            K("TCPTimeWaitOverflow", "A closing socket skipped TIME_WAIT because net.ipv4.tcp_max_tw_buckets rows existed (\"time wait bucket table overflow\").", true),
            K("RetransSegs", "Segments sent again (retransmitted).", true),
            K("RtoAlgorithm", "The retransmission timeout algorithm (1: other); a constant.", false, true),
            K("RtoMin", "The smallest retransmission timeout, in ms; a constant.", false, true),
            K("RtoMax", "The largest retransmission timeout, in ms; a constant.", false, true),
            K("MaxConn", "The most connections (-1: no fixed limit); a constant.", false, true),
            K("CurrEstab", "Connections now in ESTABLISHED or CLOSE_WAIT.", false, true),
            K("InSegs", "Segments received."),
            K("OutSegs", "Segments sent, not counting retransmissions."),
            K("InErrs", "Segments received with errors (bad checksum, too short)."),
            K("InCsumErrors", "Segments received with a bad checksum."),
            K("TCPReqQFullDoCookies", "A SYN was answered with a SYN cookie because the listener's SYN queue was full."),
            K("SyncookiesSent", "SYN cookies sent (the SYN queue was full, or net.ipv4.tcp_syncookies = 2)."),
            K("SyncookiesRecv", "Handshakes completed from a valid SYN cookie."),
            K("SyncookiesFailed", "ACKs carrying an invalid SYN cookie."),
            K("EmbryonicRsts", "RSTs received for connections still in SYN_RECV."),
            K("TCPTimeouts", "Retransmission timer expiries."),
            K("TCPKeepAlive", "Keepalive probes sent."),
            K("TCPRcvQDrop", "Segments dropped because the receive queue was full."),
            K("TCPBacklogDrop", "Segments dropped because the socket backlog was full while the socket was busy."),
        };

        static readonly Dictionary<string, Known> s_byName = s_linux_known.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

        static KeyValuePair<string, Known> K(string name, string description, bool byDefault = false, bool gauge = false) =>
            new KeyValuePair<string, Known>(name, new Known(description, byDefault, gauge));

        /// <summary>Whether Get-TcpStatistic lists this counter without -All or -Name: the counters of how connections start and end.</summary>
        public static bool IsDefault(TcpStatistic s) => (s_byName.TryGetValue(s.Name, out Known k) && k.ByDefault) || IsMacDefault(s);

        /// <summary>
        /// Every TCP counter of this OS (of the namespace, null: the caller's own), the default set first in
        /// its order, then the rest as the OS lists them.
        /// </summary>
        /// <remarks>Errors: StatisticsUnavailable (the files or the call failed), and those of
        /// <see cref="NetworkNamespace.Run{T}"/>.</remarks>
        public static IReadOnlyList<TcpStatistic> Read(NetworkNamespace ns)
        {
            DateTime at = DateTime.UtcNow;
            IReadOnlyList<TcpStatistic> list;
            if (s_linux)
            {
                var (snmp, netstat, id) = ns == null || ns.IsCurrent
                    ? (ReadText(SnmpPath), ReadText(NetstatPath), NetworkNamespace.CurrentId)
                    : ns.Run(() => (ReadText("/proc/thread-self/net/snmp"), ReadText("/proc/thread-self/net/netstat"), ns.Id));
                list = FromLinux(snmp, netstat, at);
                foreach (TcpStatistic s in list)
                {
                    s.NetworkNamespaceId = id;
                    s.NetworkNamespace = NetworkNamespace.Tag(ns);
                }
                return list;
            }
            if (ns != null)
                NetworkNamespace.CheckPlatform(ns.DisplayName);
            if (s_windows)
                return WindowsTcpStatistics.Read(at);
            byte[] raw = MacTcp.ReadBytes("net.inet.tcp.stats");
            if (raw == null)
                throw Unavailable("the net.inet.tcp.stats sysctl could not be read");
            return FromMac(raw, at);
        }

        static string ReadText(string path)
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw Unavailable($"{path} could not be read: {e.Message}");
            }
        }

        internal static TcpCloseException Unavailable(string why) =>
            new TcpCloseException(ErrorIds.StatisticsUnavailable, TcpErrorCategory.ResourceUnavailable,
                $"The TCP counters could not be read: {why}.", "TcpStatistics");

        /// <summary>Linux counters from the texts of /proc/net/snmp (its Tcp lines) and /proc/net/netstat (its TcpExt lines).</summary>
        internal static IReadOnlyList<TcpStatistic> FromLinux(string snmp, string netstat, DateTime at)
        {
            var all = new List<TcpStatistic>();
            Pairs(snmp, "Tcp", SnmpPath, at, all);
            Pairs(netstat, "TcpExt", NetstatPath, at, all);
            if (all.Count == 0)
                throw Unavailable("neither /proc/net/snmp nor /proc/net/netstat has TCP counters");
            return Ordered(all);
        }

        /// <summary>The default set first, in the catalogue's order, then the rest as read.</summary>
        static IReadOnlyList<TcpStatistic> Ordered(List<TcpStatistic> all)
        {
            var order = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < s_linux_known.Length; i++)
                if (s_linux_known[i].Value.ByDefault)
                    order[s_linux_known[i].Key] = i;
            return all.Select((s, i) => (s, key: order.TryGetValue(s.Name, out int o) ? o : s_linux_known.Length + i))
                .OrderBy(p => p.key).Select(p => p.s).ToList();
        }

        /// <summary>"Prefix: name name ..." followed by "Prefix: value value ...": each pair into counters.</summary>
        static void Pairs(string text, string prefix, string source, DateTime at, List<TcpStatistic> into)
        {
            if (text == null)
                return;
            string[] lines = text.Split('\n');
            string head = prefix + ":";
            for (int i = 0; i + 1 < lines.Length; i++)
            {
                if (!lines[i].StartsWith(head + " ", StringComparison.Ordinal) || !lines[i + 1].StartsWith(head + " ", StringComparison.Ordinal))
                    continue;
                string[] names = lines[i].Substring(head.Length).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                string[] values = lines[i + 1].Substring(head.Length).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                for (int k = 0; k < names.Length && k < values.Length; k++)
                {
                    if (!long.TryParse(values[k], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                        continue;
                    s_byName.TryGetValue(names[k], out Known known);
                    into.Add(new TcpStatistic(names[k], prefix + names[k], v, known?.Gauge ?? false,
                        known?.Description ?? $"Linux {prefix} counter (described in the kernel's Documentation/networking/snmp_counter.rst).",
                        source, at));
                }
                return;
            }
        }

        // Windows: MIB_TCPSTATS2 (tcpmib.h): nine DWORDs, then dw64InSegs and dw64OutSegs at 40 and
        // 48 (8-byte aligned), then four DWORDs; 72 bytes. MIB_TCPSTATS: fifteen DWORDs, 60 bytes.
        internal static readonly (string Name, string Member, int Offset2, int Offset1, bool Wide)[] WindowsLayout =
        {
            ("ActiveOpens", "dwActiveOpens", 16, 16, false),
            ("PassiveOpens", "dwPassiveOpens", 20, 20, false),
            ("AttemptFails", "dwAttemptFails", 24, 24, false),
            ("EstabResets", "dwEstabResets", 28, 28, false),
            ("OutRsts", "dwOutRsts", 64, 52, false),
            ("RetransSegs", "dwRetransSegs", 56, 44, false),
            ("CurrEstab", "dwCurrEstab", 32, 32, false),
            ("InSegs", "dw64InSegs", 40, 36, true),
            ("OutSegs", "dw64OutSegs", 48, 40, true),
            ("InErrs", "dwInErrs", 60, 48, false),
            ("NumConns", "dwNumConns", 68, 56, false),
        };

        /// <summary>
        /// Windows counters from the raw MIB_TCPSTATS2 (<paramref name="stats2"/> true) or MIB_TCPSTATS of
        /// each family, summed: the Linux Tcp counters cover IPv4 and IPv6 alike.
        /// </summary>
        internal static IReadOnlyList<TcpStatistic> FromWindows(byte[] v4, byte[] v6, bool stats2, DateTime at)
        {
            string source = stats2 ? "GetTcpStatisticsEx2" : "GetTcpStatisticsEx";
            var list = new List<TcpStatistic>();
            foreach (var f in WindowsLayout)
            {
                long value = 0;
                foreach (byte[] raw in new[] { v4, v6 })
                {
                    if (raw == null)
                        continue;
                    int at0 = stats2 ? f.Offset2 : f.Offset1;
                    value += f.Wide && stats2 ? (long)BitConverter.ToUInt64(raw, at0) : BitConverter.ToUInt32(raw, at0);
                }
                s_byName.TryGetValue(f.Name, out Known known);
                string description = f.Name == "NumConns" ? "Connections now in any state but LISTEN." : known?.Description;
                list.Add(new TcpStatistic(f.Name, f.Member, value, f.Name == "CurrEstab" || f.Name == "NumConns", WindowsWords(description), source, at));
            }
            return list;
        }

        /// <summary>The shared descriptions name Linux settings in places; on Windows those asides go.</summary>
        static string WindowsWords(string description) => description?
            .Replace(" (listen backlog, net.core.somaxconn)", " (listen backlog)");

        // macOS: struct tcpstat (bsd/netinet/tcp_var.h), u_int32_t members from the start; the names of
        // the first 64, in order. Those that mean what a Linux counter means take its name.
        internal static readonly string[] MacMembers =
        {
            "connattempt", "accepts", "connects", "drops", "conndrops", "closed", "segstimed", "rttupdated", "delack", "timeoutdrop",
            "rexmttimeo", "persisttimeo", "keeptimeo", "keepprobe", "keepdrops", "sndtotal", "sndpack", "sndbyte", "sndrexmitpack", "sndrexmitbyte",
            "sndacks", "sndprobe", "sndurg", "sndwinup", "sndctrl", "rcvtotal", "rcvpack", "rcvbyte", "rcvbadsum", "rcvbadoff",
            "rcvmemdrop", "rcvshort", "rcvduppack", "rcvdupbyte", "rcvpartduppack", "rcvpartdupbyte", "rcvoopack", "rcvoobyte", "rcvpackafterwin", "rcvbyteafterwin",
            "rcvafterclose", "rcvwinprobe", "rcvdupack", "rcvacktoomuch", "rcvackpack", "rcvackbyte", "rcvwinupd", "pawsdrop", "predack", "preddat",
            "pcbcachemiss", "cachedrtt", "cachedrttvar", "cachedssthresh", "usedrtt", "usedrttvar", "usedssthresh", "persistdrop", "badsyn", "mturesent",
            "listendrop", "minmssdrops", "sndrexmitbad", "badrst",
        };

        static readonly Dictionary<string, (string Name, string Description, bool ByDefault)> s_mac = new Dictionary<string, (string, string, bool)>(StringComparer.Ordinal)
        {
            ["connattempt"] = ("ActiveOpens", s_byName["ActiveOpens"].Description, true),
            ["accepts"] = ("PassiveOpens", "A listener accepted a connection.", true),
            ["connects"] = ("Connects", "Connections established (both sides).", true),
            ["conndrops"] = ("AttemptFails", "Connections dropped before they were established.", true),
            ["drops"] = ("Drops", "Established connections dropped (reset, or given up).", true),
            ["closed"] = ("Closed", "Connections closed, drops included.", true),
            ["timeoutdrop"] = ("TimeoutDrops", "Connections dropped when their retransmits ran out.", true),
            ["keepdrops"] = ("KeepaliveDrops", "Connections dropped when their keepalive probes went unanswered.", true),
            ["sndrexmitpack"] = ("RetransSegs", "Data segments sent again (retransmitted).", true),
            ["listendrop"] = ("ListenOverflows", "Connections dropped because a listener's queue was full.", true),
            ["rcvafterclose"] = ("RcvAfterClose", "Segments that arrived after this side closed (answered with an RST).", true),
            ["badrst"] = ("BadRsts", "RSTs ignored because they fell outside the window.", true),
        };

        /// <summary>macOS counters from the raw struct tcpstat of net.inet.tcp.stats.</summary>
        internal static IReadOnlyList<TcpStatistic> FromMac(byte[] raw, DateTime at)
        {
            var list = new List<TcpStatistic>();
            for (int i = 0; i < MacMembers.Length && (i + 1) * 4 <= raw.Length; i++)
            {
                string member = "tcps_" + MacMembers[i];
                long value = BitConverter.ToUInt32(raw, i * 4);
                bool mapped = s_mac.TryGetValue(MacMembers[i], out var m);
                list.Add(new TcpStatistic(mapped ? m.Name : MacMembers[i], member, value, false,
                    mapped ? m.Description : $"macOS struct tcpstat member {member} (bsd/netinet/tcp_var.h).", "net.inet.tcp.stats", at));
            }
            if (list.Count == 0)
                throw Unavailable($"net.inet.tcp.stats gave {raw.Length} bytes");
            return list;
        }

        /// <summary>Whether Get-TcpStatistic lists a macOS counter by default.</summary>
        internal static bool IsMacDefault(TcpStatistic s) => s.KernelName.StartsWith("tcps_", StringComparison.Ordinal)
            && s_mac.TryGetValue(s.KernelName.Substring(5), out var m) && m.ByDefault;

        /// <summary>What a counter was at an earlier reading (-Since): from a TcpStatistic, or its deserialized or CSV form.</summary>
        public sealed class Earlier
        {
            public string KernelName { get; set; }
            public long Value { get; set; }
            public DateTime ObservedAt { get; set; }
            public string ComputerName { get; set; }
            public long? NetworkNamespaceId { get; set; }
        }

        /// <summary>
        /// Sets Delta and PerSecond on each counter from the earlier reading of the same counter, taken
        /// on the same computer in the same network namespace (so one -Since may hold the readings of
        /// several namespaces). A reading from nowhere here is refused (InvalidSince), naming where it
        /// came from, as is one that holds no counter of this OS; a counter that went backwards gets
        /// no Delta and a Note.
        /// </summary>
        public static void Since(IReadOnlyList<TcpStatistic> now, IReadOnlyList<Earlier> before)
        {
            if (before == null || before.Count == 0 || now.Count == 0)
                return;
            TcpStatistic first = now[0];
            var same = before.Where(e =>
                (string.IsNullOrEmpty(e.ComputerName) || string.Equals(e.ComputerName, first.ComputerName, StringComparison.OrdinalIgnoreCase))
                && (!e.NetworkNamespaceId.HasValue || !first.NetworkNamespaceId.HasValue || e.NetworkNamespaceId == first.NetworkNamespaceId)).ToList();
            if (same.Count == 0)
            {
                Earlier e = before[0];
                if (!string.IsNullOrEmpty(e.ComputerName) && !string.Equals(e.ComputerName, first.ComputerName, StringComparison.OrdinalIgnoreCase))
                    throw InvalidSince(e, $"it was read on {e.ComputerName}, these on {first.ComputerName}: counters of two computers cannot be subtracted");
                throw InvalidSince(e, $"it was read in network namespace {NetworkNamespace.Text(e.NetworkNamespaceId.Value)}, these in {NetworkNamespace.Text(first.NetworkNamespaceId.Value)}: each namespace counts apart");
            }
            var byKernel = new Dictionary<string, Earlier>(StringComparer.Ordinal);
            foreach (Earlier e in same)
                if (e.KernelName != null)
                    byKernel[e.KernelName] = e;
            if (!now.Any(s => byKernel.ContainsKey(s.KernelName)))
                throw InvalidSince(before[0], "none of its counters is one of these (it came from another OS, or is not Get-TcpStatistic output)");
            foreach (TcpStatistic s in now)
            {
                if (!byKernel.TryGetValue(s.KernelName, out Earlier e))
                    continue;
                if (s.IsGauge)
                {
                    s.Note = $"A gauge, not a count: it was {e.Value}, it is {s.Value}.";
                    continue;
                }
                if (s.Value < e.Value)
                {
                    s.Note = $"Went backwards, from {e.Value} to {s.Value}: the OS's counters were reset (or wrapped) since then; no delta is shown.";
                    continue;
                }
                s.Delta = s.Value - e.Value;
                double seconds = (s.ObservedAt - e.ObservedAt).TotalSeconds;
                s.PerSecond = seconds > 0 ? Math.Round(s.Delta.Value / seconds, 3) : (double?)null;
            }
        }

        static TcpCloseException InvalidSince(Earlier e, string why) =>
            new TcpCloseException(ErrorIds.InvalidSince, TcpErrorCategory.InvalidArgument,
                $"-Since cannot be used here: {why}. Take the earlier reading with Get-TcpStatistic in the same place (the same computer and -NetworkNamespace).",
                e.KernelName);
    }
}
