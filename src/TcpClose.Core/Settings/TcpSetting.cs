using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace TcpClose
{
    /// <summary>
    /// One OS setting that decides how long TIME_WAIT lasts or which ports a new connection can use,
    /// as the OS has it now. Immutable; the value is typed (int, TimeSpan, <see cref="PortRange"/>,
    /// an array of ranges), never text, so <c>Where-Object { $_.Value -lt ... }</c> compares numbers.
    /// </summary>
    public sealed class TcpSetting : INetworkNamespaceBound
    {
        public TcpSetting(string name, object value, string unit, object defaultValue, string source, string rawValue, string description)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Value = value;
            Unit = unit;
            Default = defaultValue;
            Source = source;
            RawValue = rawValue;
            Description = description;
        }

        /// <summary>The OS's own name: the sysctl name on Linux and macOS, the registry value or netsh setting on Windows.</summary>
        public string Name { get; }

        /// <summary>The value in force, typed: int, TimeSpan, PortRange or PortRange[].</summary>
        public object Value { get; }

        /// <summary>The unit the OS stores the value in (s, ms, ports, sockets...); the TimeSpan values are already converted.</summary>
        public string Unit { get; }

        /// <summary>The OS's documented default, typed like <see cref="Value"/>; null where the OS documents none.</summary>
        public object Default { get; }

        /// <summary>Whether <see cref="Value"/> equals <see cref="Default"/>; null where there is no documented default.</summary>
        public bool? IsDefault => Default == null ? (bool?)null : SameValue(Value, Default);

        /// <summary>Where the value was read: a /proc/sys path, a registry value, a sysctl name, a command, or where it is compiled in.</summary>
        public string Source { get; }

        /// <summary>The value as the OS shows it (what sysctl, the registry or netsh print); null where there is nothing to read.</summary>
        public string RawValue { get; }

        /// <summary>What the setting does to TIME_WAIT or to port reuse, in one line.</summary>
        public string Description { get; }
        /// <summary>The network namespace this was read in, when one was asked for: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }

        public override string ToString() => $"{Name} = {Show(Value)}";

        /// <summary>
        /// A value as the table view shows it: seconds for a TimeSpan ("60 s", "0.5 s"), "a-b" for a
        /// range, ranges joined by commas, "(none)" for an empty list.
        /// </summary>
        public static string Show(object value)
        {
            switch (value)
            {
                case null:
                    return "";
                case TimeSpan t:
                    return t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
                case PortRange[] list:
                    return list.Length == 0 ? "(none)" : string.Join(",", list.Select(r => r.ToString()));
                default:
                    return Convert.ToString(value, CultureInfo.InvariantCulture);
            }
        }

        static bool SameValue(object a, object b)
        {
            if (a is PortRange[] x && b is PortRange[] y)
                return x.SequenceEqual(y);
            return Equals(a, b);
        }
    }

    /// <summary>An inclusive range of ports, as the OS states it (Linux "32768 60999", Windows start + count).</summary>
    public sealed class PortRange : IEquatable<PortRange>
    {
        public PortRange(int first, int last)
        {
            if (first < 0 || last > 65535 || last < first)
                throw new ArgumentOutOfRangeException(nameof(last), $"{first}-{last} is not a port range: 0 <= first <= last <= 65535.");
            First = first;
            Last = last;
        }

        public int First { get; }
        public int Last { get; }

        /// <summary>How many ports the range holds (Last - First + 1).</summary>
        public int Count => Last - First + 1;

        public bool Contains(int port) => port >= First && port <= Last;

        /// <summary>"32768-60999", or "8080" for a range of one port (the way Linux writes reserved ports).</summary>
        public override string ToString() => First == Last
            ? First.ToString(CultureInfo.InvariantCulture)
            : First.ToString(CultureInfo.InvariantCulture) + "-" + Last.ToString(CultureInfo.InvariantCulture);

        public bool Equals(PortRange other) => other != null && other.First == First && other.Last == Last;
        public override bool Equals(object obj) => Equals(obj as PortRange);
        public override int GetHashCode() => First << 16 | Last;

        /// <summary>Ports of <paramref name="ranges"/> that fall inside this range, each counted once.</summary>
        public int CountOverlap(IEnumerable<PortRange> ranges)
        {
            if (ranges == null)
                return 0;
            var inside = new List<PortRange>();
            foreach (var r in ranges)
            {
                int a = Math.Max(First, r.First), b = Math.Min(Last, r.Last);
                if (a <= b)
                    inside.Add(new PortRange(a, b));
            }
            // The kernel's list may overlap ("8080,8000-9000"); merge before counting.
            inside.Sort((p, q) => p.First.CompareTo(q.First));
            int total = 0, end = -1;
            foreach (var r in inside)
            {
                int start = Math.Max(r.First, end + 1);
                if (r.Last >= start)
                {
                    total += r.Last - start + 1;
                    end = r.Last;
                }
            }
            return total;
        }
    }
}
