using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>
    /// The OS settings that decide TIME_WAIT and port reuse, read from where the OS keeps them.
    /// A setting this OS (or this kernel) does not have is left out of the list, not reported as an error.
    /// </summary>
    /// <remarks>
    /// Linux: /proc/sys/net/... of the calling process's network namespace (a container sees its own);
    /// the net.ipv4 files govern IPv6 sockets too for these settings. TIME_WAIT's length is a
    /// compile-time constant there. Windows: the Tcpip\Parameters registry values and, for the dynamic
    /// port range, netsh (no documented API exists). macOS: sysctlbyname.
    /// Each OS has one builder from raw values (<c>FromLinux</c>, <c>FromWindows</c>, <c>FromMac</c>),
    /// so the parsing is tested on every OS with recorded values.
    /// </remarks>
    public static class TcpSettings
    {
        static readonly bool s_linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
        static readonly bool s_windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        // Linux names, as sysctl(8) prints them.
        internal const string LinuxTimeWaitLen = "TCP_TIMEWAIT_LEN";
        internal const string LinuxTwReuse = "net.ipv4.tcp_tw_reuse";
        internal const string LinuxTwReuseDelay = "net.ipv4.tcp_tw_reuse_delay";
        internal const string LinuxTimestamps = "net.ipv4.tcp_timestamps";
        internal const string LinuxMaxTwBuckets = "net.ipv4.tcp_max_tw_buckets";
        internal const string LinuxFinTimeout = "net.ipv4.tcp_fin_timeout";
        internal const string LinuxPortRange = "net.ipv4.ip_local_port_range";
        internal const string LinuxReservedPorts = "net.ipv4.ip_local_reserved_ports";
        internal const string LinuxSomaxconn = "net.core.somaxconn";

        // Windows names: the registry value names, and the dynamic port range per family.
        internal const string WindowsTimedWaitDelay = "TcpTimedWaitDelay";
        internal const string WindowsDynamicPorts4 = "DynamicPortRangeIPv4";
        internal const string WindowsDynamicPorts6 = "DynamicPortRangeIPv6";
        internal const string WindowsMaxUserPort = "MaxUserPort";

        // macOS names, as sysctl(8) prints them.
        internal const string MacMsl = "net.inet.tcp.msl";
        internal const string MacPortFirst = "net.inet.ip.portrange.first";
        internal const string MacPortLast = "net.inet.ip.portrange.last";

        static readonly TimeSpan LinuxTimeWait = TimeSpan.FromSeconds(60);
        static readonly TimeSpan WindowsTimeWaitDefault = TimeSpan.FromSeconds(120);
        static readonly PortRange LinuxPortRangeDefault = new PortRange(32768, 60999);
        static readonly PortRange WindowsPortRangeDefault = new PortRange(49152, 65535);
        const int MacMslDefaultMs = 15000;

        /// <summary>The names a setting can have on this OS, in the order <see cref="Read()"/> lists them (for tab completion).</summary>
        public static IReadOnlyList<string> Names =>
            s_linux ? new[] { LinuxTimeWaitLen, LinuxTwReuse, LinuxTwReuseDelay, LinuxTimestamps, LinuxMaxTwBuckets, LinuxFinTimeout, LinuxPortRange, LinuxReservedPorts, LinuxSomaxconn }
            : s_windows ? new[] { WindowsTimedWaitDelay, WindowsDynamicPorts4, WindowsDynamicPorts6, WindowsMaxUserPort }
            : new[] { MacMsl, MacPortFirst, MacPortLast };

        /// <summary>The settings of this OS as they are now.</summary>
        public static IReadOnlyList<TcpSetting> Read() => Read(null);

        /// <summary>
        /// The settings of a network namespace (null: the caller's own). Linux keeps most net.* values
        /// per namespace (ip_local_port_range, tcp_tw_reuse, tcp_max_tw_buckets...); they are read by a
        /// thread inside it, since /proc/sys/net shows the reading thread's namespace.
        /// </summary>
        public static IReadOnlyList<TcpSetting> Read(NetworkNamespace ns)
        {
            if (ns == null)
                return ReadHere();
            IReadOnlyList<TcpSetting> list = ns.Run(ReadHere);
            foreach (TcpSetting s in list)
                s.NetworkNamespace = ns.DisplayName;
            return list;
        }

        static IReadOnlyList<TcpSetting> ReadHere()
        {
            if (s_linux)
                return FromLinux(LinuxSysctl.Read);
            if (s_windows)
                return FromWindows(WindowsTcpSettings.ReadParameter(WindowsTimedWaitDelay), WindowsTcpSettings.ReadParameter(WindowsMaxUserPort),
                    WindowsTcpSettings.ReadNetshDynamicPort(false), WindowsTcpSettings.ReadNetshDynamicPort(true));
            return FromMac(MacTcp.ReadInt(MacMsl), MacTcp.ReadInt(MacPortFirst), MacTcp.ReadInt(MacPortLast));
        }

        /// <summary>Linux settings from sysctl text (<paramref name="read"/> returns a sysctl's text, or null when it does not exist).</summary>
        internal static IReadOnlyList<TcpSetting> FromLinux(Func<string, string> read)
        {
            var list = new List<TcpSetting>
            {
                new TcpSetting(LinuxTimeWaitLen, LinuxTimeWait, "s", LinuxTimeWait,
                    "compiled into the kernel: TCP_TIMEWAIT_LEN (60*HZ) in include/net/tcp.h; no sysctl changes it", null,
                    "How long the side that closed first stays in TIME_WAIT; fixed at 60 s on Linux."),
            };

            void Add(string name, string raw, object value, string unit, object defaultValue, string description)
            {
                if (value != null)
                    list.Add(new TcpSetting(name, value, unit, defaultValue, LinuxSysctl.PathOf(name), raw, description));
            }

            string s = read(LinuxTwReuse);
            Add(LinuxTwReuse, s, ParseInt(s), null, 2,
                "connect() may take a port still in TIME_WAIT to the same destination: 0 never, 1 always, 2 loopback only; no help for bind().");
            s = read(LinuxTwReuseDelay);
            Add(LinuxTwReuseDelay, s, Milliseconds(ParseInt(s)), "ms", TimeSpan.FromMilliseconds(1000),
                "How old a TIME_WAIT row must be before tcp_tw_reuse lets connect() take its port.");
            s = read(LinuxTimestamps);
            Add(LinuxTimestamps, s, ParseInt(s), null, 1,
                "TCP timestamps (0 off, 1 on, 2 on without random offsets); tcp_tw_reuse reuses only ports whose connection had them.");
            s = read(LinuxMaxTwBuckets);
            Add(LinuxMaxTwBuckets, s, ParseInt(s), "sockets", null,
                "Most TIME_WAIT rows kept; past it a closing socket skips TIME_WAIT and the kernel logs an overflow.");
            s = read(LinuxFinTimeout);
            Add(LinuxFinTimeout, s, Seconds(ParseInt(s)), "s", TimeSpan.FromSeconds(60),
                "How long an orphaned socket waits in FIN_WAIT_2 for the peer's FIN; not the TIME_WAIT length.");
            s = read(LinuxPortRange);
            Add(LinuxPortRange, s, ParseLinuxPortRange(s), "ports", LinuxPortRangeDefault,
                "The ephemeral ports connect() and bind(port 0) pick from (IPv6 too); connect() has them per destination.");
            s = read(LinuxReservedPorts);
            Add(LinuxReservedPorts, s, ParseLinuxPortList(s), "ports", new PortRange[0],
                "Ports in the ephemeral range never picked automatically (IPv6 too); only an explicit bind takes them.");
            s = read(LinuxSomaxconn);
            Add(LinuxSomaxconn, s, ParseInt(s), "connections", 4096,
                "Cap on a listener's accept queue (listen() backlog); a restarted service that accepts slowly drops beyond it.");
            return list;
        }

        /// <summary>
        /// Windows settings from the registry DWORDs (null = value absent) and netsh's output for each
        /// family (null = netsh unavailable: that range is left out).
        /// </summary>
        internal static IReadOnlyList<TcpSetting> FromWindows(uint? timedWaitDelay, uint? maxUserPort, string netsh4, string netsh6)
        {
            string key = @"HKLM\" + WindowsTcpSettings.ParametersKey + @"\";
            var list = new List<TcpSetting>
            {
                new TcpSetting(WindowsTimedWaitDelay, WindowsTimeWait(timedWaitDelay), "s", WindowsTimeWaitDefault,
                    key + WindowsTimedWaitDelay + (timedWaitDelay.HasValue ? "" : " (absent: the default applies)"),
                    timedWaitDelay?.ToString(CultureInfo.InvariantCulture),
                    "How long the side that closed first stays in TIME_WAIT (30 to 300 s; 120 s when the value is absent)."),
            };
            PortRange r4 = WindowsTcpSettings.ParseNetshDynamicPort(netsh4), r6 = WindowsTcpSettings.ParseNetshDynamicPort(netsh6);
            if (r4 != null)
                list.Add(new TcpSetting(WindowsDynamicPorts4, r4, "ports", WindowsPortRangeDefault, "netsh interface ipv4 show dynamicport tcp",
                    $"{r4.First} {r4.Count}", "The ephemeral ports Windows picks for outgoing IPv4 connections and bind(port 0)."));
            if (r6 != null)
                list.Add(new TcpSetting(WindowsDynamicPorts6, r6, "ports", WindowsPortRangeDefault, "netsh interface ipv6 show dynamicport tcp",
                    $"{r6.First} {r6.Count}", "The ephemeral ports Windows picks for outgoing IPv6 connections and bind(port 0)."));
            if (maxUserPort.HasValue)
                list.Add(new TcpSetting(WindowsMaxUserPort, (int)Math.Min(maxUserPort.Value, 65535), "port", null, key + WindowsMaxUserPort,
                    maxUserPort.Value.ToString(CultureInfo.InvariantCulture),
                    "Highest ephemeral port on Windows Server 2003 and earlier (default 5000); since Vista the dynamic range decides."));
            return list;
        }

        /// <summary>macOS settings from the sysctl values (null = the sysctl does not exist: left out).</summary>
        internal static IReadOnlyList<TcpSetting> FromMac(int? mslMs, int? first, int? last)
        {
            var list = new List<TcpSetting>();
            if (mslMs.HasValue)
                list.Add(new TcpSetting(MacMsl, TimeSpan.FromMilliseconds(mslMs.Value), "ms", TimeSpan.FromMilliseconds(MacMslDefaultMs), MacMsl,
                    mslMs.Value.ToString(CultureInfo.InvariantCulture), "Maximum segment lifetime; TIME_WAIT lasts 2*MSL (30 s by default)."));
            if (first.HasValue)
                list.Add(new TcpSetting(MacPortFirst, first.Value, "port", 49152, MacPortFirst, first.Value.ToString(CultureInfo.InvariantCulture),
                    "First ephemeral port picked for outgoing connections and bind(port 0)."));
            if (last.HasValue)
                list.Add(new TcpSetting(MacPortLast, last.Value, "port", 65535, MacPortLast, last.Value.ToString(CultureInfo.InvariantCulture),
                    "Last ephemeral port picked for outgoing connections and bind(port 0)."));
            return list;
        }

        /// <summary>The TIME_WAIT length on this OS: what the table readers' estimates are based on.</summary>
        internal static TimeSpan TimeWaitLength()
        {
            if (s_linux)
                return LinuxTimeWait;
            if (s_windows)
                return WindowsTimeWait(WindowsTcpSettings.ReadParameter(WindowsTimedWaitDelay));
            int? msl = MacTcp.ReadInt(MacMsl);
            // A value outside any sane MSL is not believed.
            return TimeSpan.FromMilliseconds(2L * (msl > 0 && msl < 600000 ? msl.Value : MacMslDefaultMs));
        }

        /// <summary>The Windows stack clamps TcpTimedWaitDelay to 30..300 s; absent means 120 s (since Server 2003).</summary>
        static TimeSpan WindowsTimeWait(uint? seconds) =>
            seconds.HasValue ? TimeSpan.FromSeconds(Math.Max(30, Math.Min(300, seconds.Value))) : WindowsTimeWaitDefault;

        /// <summary>The ephemeral port space of this OS, from these settings (documented defaults where one is missing).</summary>
        internal static EphemeralPorts ReadEphemeralPorts(NetworkNamespace ns = null) => EphemeralPortsFrom(Read(ns));

        internal static EphemeralPorts EphemeralPortsFrom(IReadOnlyList<TcpSetting> settings)
        {
            PortRange v4 = null, v6 = null;
            PortRange[] reserved = new PortRange[0];
            int? twReuse = null;
            int? first = null, last = null;
            foreach (var s in settings)
            {
                switch (s.Name)
                {
                    case LinuxPortRange: v4 = v6 = (PortRange)s.Value; break;
                    case LinuxReservedPorts: reserved = (PortRange[])s.Value; break;
                    case LinuxTwReuse: twReuse = (int)s.Value; break;
                    case WindowsDynamicPorts4: v4 = (PortRange)s.Value; break;
                    case WindowsDynamicPorts6: v6 = (PortRange)s.Value; break;
                    case MacPortFirst: first = (int)s.Value; break;
                    case MacPortLast: last = (int)s.Value; break;
                }
            }
            if (first.HasValue && last.HasValue && first >= 0 && first <= last && last <= 65535)
                v4 = v6 = new PortRange(first.Value, last.Value);
            PortRange fallback = s_linux ? LinuxPortRangeDefault : WindowsPortRangeDefault;
            return new EphemeralPorts(v4 ?? fallback, v6 ?? v4 ?? fallback, reserved, twReuse);
        }

        static int? ParseInt(string text) =>
            text != null && int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : (int?)null;

        static object Seconds(int? v) => v.HasValue ? TimeSpan.FromSeconds(v.Value) : (object)null;

        static object Milliseconds(int? v) => v.HasValue ? TimeSpan.FromMilliseconds(v.Value) : (object)null;

        /// <summary>"32768\t60999" (two numbers, any white space); null when it is not a range.</summary>
        internal static PortRange ParseLinuxPortRange(string text)
        {
            if (text == null)
                return null;
            string[] parts = text.Split(new[] { ' ', '\t', '\n' }, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || ParseInt(parts[0]) is not int a || ParseInt(parts[1]) is not int b || a < 0 || b > 65535 || b < a)
                return null;
            return new PortRange(a, b);
        }

        /// <summary>"" or "8080,9000-9010" (the format of ip_local_reserved_ports); null when malformed.</summary>
        internal static PortRange[] ParseLinuxPortList(string text)
        {
            if (text == null)
                return null;
            var ranges = new List<PortRange>();
            foreach (string item in text.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries))
            {
                string t = item.Trim();
                if (t.Length == 0)
                    continue;
                int dash = t.IndexOf('-');
                int? a = ParseInt(dash < 0 ? t : t.Substring(0, dash));
                int? b = dash < 0 ? a : ParseInt(t.Substring(dash + 1));
                if (a is not int x || b is not int y || x < 0 || y > 65535 || y < x)
                    return null;
                ranges.Add(new PortRange(x, y));
            }
            return ranges.ToArray();
        }
    }

    /// <summary>The ports the OS picks automatically for outgoing connections, and Linux's tcp_tw_reuse.</summary>
    internal sealed class EphemeralPorts
    {
        internal EphemeralPorts(PortRange v4, PortRange v6, PortRange[] reserved, int? timeWaitReuse)
        {
            V4 = v4;
            V6 = v6;
            Reserved = reserved ?? new PortRange[0];
            TimeWaitReuse = timeWaitReuse;
            Size4 = v4.Count - v4.CountOverlap(Reserved);
            Size6 = v6.Count - v6.CountOverlap(Reserved);
        }

        internal PortRange V4 { get; }
        internal PortRange V6 { get; }
        internal PortRange[] Reserved { get; }
        /// <summary>net.ipv4.tcp_tw_reuse (Linux); null elsewhere.</summary>
        internal int? TimeWaitReuse { get; }
        internal int Size4 { get; }
        internal int Size6 { get; }

        /// <summary>True when the OS could have picked this local port for a connect(): in the range and not reserved.</summary>
        internal bool IsEphemeral(int port, bool v6)
        {
            if (!(v6 ? V6 : V4).Contains(port))
                return false;
            foreach (var r in Reserved)
                if (r.Contains(port))
                    return false;
            return true;
        }
    }
}
