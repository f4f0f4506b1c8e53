using System;
using System.Collections.Generic;

namespace TcpClose
{
    /// <summary>
    /// Ephemeral ports in use per destination of outgoing connections, against the OS's range: how
    /// close a client (a proxy, a health checker) is to running out of local ports for one backend.
    /// </summary>
    /// <remarks>
    /// A destination is (LocalAddress, RemoteAddress, RemotePort): a connection is one 4-tuple, so
    /// connect() may give the same local port to connections that differ in any of the other three;
    /// each local address a client uses has the whole range to each remote endpoint. That is why a
    /// client bound to a specific local address gets its own row.
    /// A row counts when its local port is one the OS could have picked for connect(): inside the
    /// ephemeral range, not reserved, and not the port of a listener (accepted connections carry the
    /// listener's port; Linux's dumps list listeners before connections, so this holds there; on other
    /// OSes only for listeners the table lists first).
    /// One read of the table, aggregated while it streams: memory grows with the number of
    /// destinations, not of rows.
    /// </remarks>
    public static class PortUsage
    {
        /// <summary>Rows for every destination (filters may be null), highest PercentUsed first.</summary>
        public static IReadOnlyList<PortUsageEntry> Read(IReadOnlyList<string> remoteAddresses, IReadOnlyList<int> remotePorts) =>
            Read(remoteAddresses, remotePorts, null);

        /// <summary>As above, in a network namespace (null: the caller's own): its table against its own port range.</summary>
        public static IReadOnlyList<PortUsageEntry> Read(IReadOnlyList<string> remoteAddresses, IReadOnlyList<int> remotePorts, NetworkNamespace ns)
        {
            // Validated before anything is read, the namespace entered included.
            new TcpTableQuery(new TcpTableFilter { RemoteAddresses = remoteAddresses, RemotePorts = remotePorts }, false);
            return Read(remoteAddresses, remotePorts, TcpSettings.ReadEphemeralPorts(ns), TcpTable.DefaultSource, true, null, ns);
        }

        /// <summary>
        /// How fast TIME_WAIT rows are being made, from the ages of the rows there are: on Linux a row's
        /// age is the TIME_WAIT length less the time its exact timer has left, so every row of the
        /// last TIME_WAIT length is dated. The rate is their count over the span they cover (the age
        /// of the oldest, at least one second): a load that started 10 s ago is counted over 10 s,
        /// one that has run for minutes over the whole 60 s. Null where no row has an exact timer
        /// (Windows and macOS keep none: a first-seen estimate cannot date a row made before this
        /// session first saw it).
        /// </summary>
        internal static double? RatePerSecond(int exactRows, long oldestAgeMs) =>
            exactRows == 0 ? (double?)null : exactRows / Math.Max(1.0, oldestAgeMs / 1000.0);

        /// <summary>As above, with the port space and source given (tests, benchmark).</summary>
        internal static IReadOnlyList<PortUsageEntry> Read(IReadOnlyList<string> remoteAddresses, IReadOnlyList<int> remotePorts,
            EphemeralPorts ports, TcpTableSource source, bool fallBack, Action<string> onWarning, NetworkNamespace ns = null)
        {
            // Validated before anything is read: InvalidAddress / InvalidPort, as for Get-TcpConnection.
            var match = new TcpTableQuery(new TcpTableFilter { RemoteAddresses = remoteAddresses, RemotePorts = remotePorts }, false);
            // Every row, listeners included (they mark the ports that are not ephemeral picks); no
            // kernel-side filter, since a port filter would drop the listeners.
            var read = new TcpTableQuery(new TcpTableFilter { NetworkNamespace = ns }, false);
            var listening = new bool[65536];
            var counts = new Dictionary<Destination, Counts>();
            long timeWaitMs = (long)TcpSettings.TimeWaitLength().TotalMilliseconds;
            foreach (var (_, row) in TcpTable.Rows(read, source, fallBack, new TcpTableWarnings(onWarning)))
            {
                RawTcpRow r = row;
                if (r.State == TcpState.Listen)
                {
                    listening[r.LocalPort] = true;
                    continue;
                }
                if (r.RemotePort == 0 || r.State == TcpState.Bound || listening[r.LocalPort] || !ports.IsEphemeral(r.LocalPort, !r.Local.IsV4))
                    continue;
                if (!match.Matches(ref r))
                    continue;
                var key = new Destination(r.Local, r.Remote, r.RemotePort);
                if (!counts.TryGetValue(key, out Counts c))
                    counts.Add(key, c = new Counts());
                if (r.State == TcpState.Established)
                    c.Established++;
                else if (r.State == TcpState.TimeWait)
                {
                    c.TimeWait++;
                    if (r.TimerMs >= 0 && !r.TimerEstimated)
                    {
                        c.Dated++;
                        c.OldestAgeMs = Math.Max(c.OldestAgeMs, Math.Max(0, timeWaitMs - r.TimerMs));
                    }
                }
                else
                    c.Other++;
            }

            var names = new AddressTextCache();
            var result = new List<PortUsageEntry>(counts.Count);
            foreach (var kv in counts)
            {
                Destination d = kv.Key;
                int size = d.Local.IsV4 ? ports.Size4 : ports.Size6;
                result.Add(new PortUsageEntry(names.Get(d.Local), names.Get(d.Remote), d.RemotePort,
                    kv.Value.Established, kv.Value.TimeWait, kv.Value.Other, size, TimeWaitReusable(ports.TimeWaitReuse, d.Local, d.Remote),
                    RatePerSecond(kv.Value.Dated, kv.Value.OldestAgeMs), TimeSpan.FromMilliseconds(timeWaitMs)) { NetworkNamespace = NetworkNamespace.Tag(ns) });
            }
            result.Sort(PortUsageEntry.HighestFirst);
            return result;
        }

        /// <summary>
        /// Linux tcp_twsk_unique: 1 lets connect() reuse a TIME_WAIT 4-tuple, 2 only when either address
        /// is loopback (IPv4-mapped included), 0 never. Null where the OS has no such setting.
        /// </summary>
        internal static bool? TimeWaitReusable(int? reuse, IPKey local, IPKey remote)
        {
            if (!reuse.HasValue)
                return null;
            switch (reuse.Value)
            {
                case 0: return false;
                case 2: return IsLoopback(local) || IsLoopback(remote);
                default: return true;
            }
        }

        internal static bool IsLoopback(IPKey k) =>
            k.IsV4 ? ((uint)k.Lo & 0xFF000000u) == 0x7F000000u : k.Hi == 0 && k.Lo == 1;

        readonly struct Destination : IEquatable<Destination>
        {
            internal readonly IPKey Local, Remote;
            internal readonly int RemotePort;

            internal Destination(IPKey local, IPKey remote, int remotePort)
            {
                Local = local;
                Remote = remote;
                RemotePort = remotePort;
            }

            public bool Equals(Destination o) => RemotePort == o.RemotePort && Remote.Equals(o.Remote) && Local.Equals(o.Local);
            public override bool Equals(object obj) => obj is Destination d && Equals(d);
            public override int GetHashCode() => (Remote.GetHashCode() * 31 + Local.GetHashCode()) * 31 + RemotePort;
        }

        sealed class Counts
        {
            internal int Established, TimeWait, Other, Dated;
            internal long OldestAgeMs;
        }
    }
}
