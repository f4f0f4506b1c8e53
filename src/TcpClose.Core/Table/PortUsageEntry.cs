using System;

namespace TcpClose
{
    /// <summary>
    /// Ephemeral ports in use towards one destination, by state, against the ports the OS can pick.
    /// Immutable; no handles (survives remoting and Export-Csv).
    /// </summary>
    public sealed class PortUsageEntry : INetworkNamespaceBound
    {
        public PortUsageEntry(string localAddress, string remoteAddress, int remotePort, int established, int timeWait, int other,
            int ephemeralPorts, bool? timeWaitReusable)
            : this(localAddress, remoteAddress, remotePort, established, timeWait, other, ephemeralPorts, timeWaitReusable, null, TimeSpan.Zero)
        {
        }

        /// <summary>With the rate TIME_WAIT rows are made at, and how long one lasts on this OS.</summary>
        public PortUsageEntry(string localAddress, string remoteAddress, int remotePort, int established, int timeWait, int other,
            int ephemeralPorts, bool? timeWaitReusable, double? timeWaitPerSecond, TimeSpan timeWaitLength)
        {
            TimeWaitPerSecond = timeWaitPerSecond.HasValue ? Math.Round(timeWaitPerSecond.Value, 2) : (double?)null;
            // At this rate the TIME_WAIT rows level off at rate x length (each lasts that long); the
            // range runs out only if that, with the open connections, does not fit in it. Until the
            // first rows expire the count grows by the rate each second: that is when it runs out.
            if (timeWaitPerSecond > 0 && established + other + timeWaitPerSecond.Value * timeWaitLength.TotalSeconds >= ephemeralPorts)
            {
                ExhaustedIn = TimeSpan.FromSeconds(Math.Ceiling(Math.Max(0, ephemeralPorts - (established + timeWait + other)) / timeWaitPerSecond.Value));
            }
            LocalAddress = localAddress;
            RemoteAddress = remoteAddress;
            RemotePort = remotePort;
            Established = established;
            TimeWait = timeWait;
            Other = other;
            EphemeralPorts = ephemeralPorts;
            TimeWaitReusable = timeWaitReusable;
        }

        /// <summary>The local address the connections come from; each local address has the whole range.</summary>
        public string LocalAddress { get; }
        public string RemoteAddress { get; }
        public int RemotePort { get; }
        public string AddressFamily => LocalAddress != null && LocalAddress.IndexOf(':') >= 0 ? "IPv6" : "IPv4";
        /// <summary>Local ports held by Established connections.</summary>
        public int Established { get; }
        /// <summary>Local ports held by TIME_WAIT rows (the active closer's side).</summary>
        public int TimeWait { get; }
        /// <summary>Local ports held in any other state (SynSent, FinWait1/2, CloseWait, LastAck, Closing).</summary>
        public int Other { get; }
        /// <summary>Established + TimeWait + Other.</summary>
        public int Total => Established + TimeWait + Other;
        /// <summary>Ports the OS can pick for this destination: the ephemeral range's size less the reserved ports inside it.</summary>
        public int EphemeralPorts { get; }
        /// <summary>Total as a percentage of EphemeralPorts, rounded to 3 decimals (one port of 28232 is 0.004).</summary>
        public double PercentUsed => EphemeralPorts > 0 ? Math.Round(Total * 100.0 / EphemeralPorts, 3) : 100.0;
        /// <summary>Linux: whether tcp_tw_reuse lets a new connect() to this destination take a TIME_WAIT port
        /// (also needs TCP timestamps and the row older than tcp_tw_reuse_delay). Null on other OSes.</summary>
        public bool? TimeWaitReusable { get; }
        /// <summary>
        /// TIME_WAIT rows made per second toward this destination, from the ages of its rows (Linux:
        /// exact timers; the count over the span they cover, up to the TIME_WAIT length). Null where
        /// the OS keeps no timer (Windows, macOS).
        /// </summary>
        public double? TimeWaitPerSecond { get; }
        /// <summary>
        /// How long until every ephemeral port toward this destination is taken, at TimeWaitPerSecond:
        /// null when the rows at that rate (rate x TIME_WAIT length, with the open connections) fit in
        /// the range, or when there is no rate. Where TimeWaitReusable is true, connect() takes over
        /// TIME_WAIT ports older than tcp_tw_reuse_delay instead of failing, so the range does not run
        /// out this way: the figure says what a destination without reuse would see.
        /// </summary>
        public TimeSpan? ExhaustedIn { get; }
        /// <summary>The network namespace this was read in, when one was asked for: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }

        public override string ToString() =>
            $"{LocalAddress} -> {Endpoints.Show(RemoteAddress, RemotePort)}: {Total}/{EphemeralPorts} ({PercentUsed:0.##} %)";

        internal static int HighestFirst(PortUsageEntry a, PortUsageEntry b)
        {
            int c = b.PercentUsed.CompareTo(a.PercentUsed);
            if (c == 0)
                c = b.Total.CompareTo(a.Total);
            if (c == 0)
                c = string.CompareOrdinal(a.RemoteAddress, b.RemoteAddress);
            if (c == 0)
                c = a.RemotePort.CompareTo(b.RemotePort);
            if (c == 0)
                c = string.CompareOrdinal(a.LocalAddress, b.LocalAddress);
            return c;
        }
    }
}
