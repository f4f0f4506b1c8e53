using System;

namespace TcpClose
{
    /// <summary>
    /// A TIME_WAIT row with the time it has left. <see cref="RemainingSeconds"/> is the property to
    /// filter on: <c>Where-Object RemainingSeconds -gt 30</c>.
    /// </summary>
    public sealed class TimeWaitEntry : INetworkNamespaceBound
    {
        public TimeWaitEntry(string localAddress, int localPort, string remoteAddress, int remotePort,
            TimeSpan remaining, DateTime observedAt, bool isEstimated, TcpTableSource source)
        {
            LocalAddress = localAddress;
            LocalPort = localPort;
            RemoteAddress = remoteAddress;
            RemotePort = remotePort;
            Remaining = remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining;
            ObservedAt = observedAt;
            IsEstimated = isEstimated;
            Source = source;
        }

        public string LocalAddress { get; }
        public int LocalPort { get; }
        public string RemoteAddress { get; }
        public int RemotePort { get; }
        public TcpState State => TcpState.TimeWait;
        public string AddressFamily => LocalAddress != null && LocalAddress.IndexOf(':') >= 0 ? "IPv6" : "IPv4";
        /// <summary>Time left in TIME_WAIT when the row was read.</summary>
        public TimeSpan Remaining { get; }
        /// <summary><see cref="Remaining"/> in seconds, for Where-Object.</summary>
        public double RemainingSeconds => Remaining.TotalSeconds;
        /// <summary>When the row was read (UTC).</summary>
        public DateTime ObservedAt { get; }
        /// <summary>When the row is expected to go (UTC): <see cref="ObservedAt"/> + <see cref="Remaining"/>.</summary>
        public DateTime ExpiresAt => ObservedAt + Remaining;
        /// <summary>True where the OS gives no timer and the time left is an estimate (Windows, macOS).</summary>
        public bool IsEstimated { get; }
        public TcpTableSource Source { get; }

        /// <summary>As <see cref="TcpTableEntry.NetworkNamespace"/>: where the row was read, when one was asked for.</summary>
        public string NetworkNamespace { get; internal set; }

        /// <summary>TIME_WAIT rows: time left, from the OS timer or the first-seen estimate (as Get-TcpTimeWait shows it).</summary>
        internal TimeSpan? TimeWaitLeft { get; set; }

        /// <summary>True when <see cref="TimeWaitLeft"/> is the first-seen estimate.</summary>
        internal bool TimeWaitLeftEstimated { get; set; }

        /// <summary>As <see cref="TcpTableEntry.KernelId"/>.</summary>
        internal SocketId KernelId { get; set; }

        public override string ToString() => $"{LocalAddress}:{LocalPort} -> {RemoteAddress}:{RemotePort} TimeWait {RemainingSeconds:0.0}s";
    }
}
