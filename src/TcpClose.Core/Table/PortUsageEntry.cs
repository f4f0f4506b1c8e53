using System;

namespace TcpClose
{
    /// <summary>
    /// Ephemeral ports in use towards one destination, by state, against the ports the OS can pick.
    /// Immutable; no handles (survives remoting and Export-Csv).
    /// </summary>
    public sealed class PortUsageEntry
    {
        public PortUsageEntry(string localAddress, string remoteAddress, int remotePort, int established, int timeWait, int other,
            int ephemeralPorts, bool? timeWaitReusable)
        {
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
