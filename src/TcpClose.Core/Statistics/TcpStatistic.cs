using System;

namespace TcpClose
{
    /// <summary>
    /// One of the OS's TCP counters (or gauges), as Get-TcpStatistic reads it: what it counts in
    /// plain words and, with -Since, how much it moved. Immutable and without live handles (it
    /// survives remoting and Export-Csv).
    /// </summary>
    public sealed class TcpStatistic : INetworkNamespaceBound
    {
        internal TcpStatistic(string name, string kernelName, long value, bool isGauge, string description, string source, DateTime observedAt)
        {
            Name = name;
            KernelName = kernelName;
            Value = value;
            IsGauge = isGauge;
            Description = description;
            Source = source;
            ObservedAt = observedAt;
            ComputerName = Environment.MachineName;
        }

        /// <summary>The counter's name: the kernel field on Linux (ActiveOpens, TCPAbortOnClose, TW),
        /// the same name on Windows and macOS where the counter means the same thing.</summary>
        public string Name { get; }

        /// <summary>Its value now.</summary>
        public long Value { get; }

        /// <summary>With -Since: how much it grew since then; null for a gauge or a counter that went backwards (see <see cref="Note"/>).</summary>
        public long? Delta { get; internal set; }

        /// <summary>With -Since: <see cref="Delta"/> over the seconds between the two readings.</summary>
        public double? PerSecond { get; internal set; }

        /// <summary>What makes it count, in plain words, naming the close style or setting that does.</summary>
        public string Description { get; }

        /// <summary>The OS's own name: nstat's on Linux (TcpExtTCPAbortOnClose), the MIB_TCPSTATS2
        /// member on Windows (dwOutRsts), the struct tcpstat member on macOS (tcps_drops).</summary>
        public string KernelName { get; }

        /// <summary>True for a value that is not a count of events (CurrEstab, RtoMin): it has no Delta.</summary>
        public bool IsGauge { get; }

        /// <summary>Why Delta is empty where it is: a gauge, or a counter that went backwards.</summary>
        public string Note { get; internal set; }

        /// <summary>Where it was read: /proc/net/snmp, /proc/net/netstat, GetTcpStatisticsEx2, net.inet.tcp.stats.</summary>
        public string Source { get; }

        /// <summary>When it was read (UTC).</summary>
        public DateTime ObservedAt { get; }

        /// <summary>The computer it was read on: a -Since from another computer is refused.</summary>
        public string ComputerName { get; }

        /// <summary>The network namespace it was read in, when one was asked for: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }

        /// <summary>Linux: the id (inode) of the network namespace it was read in, whether asked for or
        /// not; a -Since from another namespace is refused. Null elsewhere.</summary>
        public long? NetworkNamespaceId { get; internal set; }

        public override string ToString() => $"{Name} = {Value}" + (Delta.HasValue ? $" (+{Delta})" : "");
    }
}
