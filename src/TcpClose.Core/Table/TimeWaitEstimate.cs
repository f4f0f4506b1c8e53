using System;
using System.Collections.Concurrent;

namespace TcpClose
{
    /// <summary>
    /// Where the OS keeps no TIME_WAIT timer we can read (Windows, macOS through .NET), the time left
    /// is estimated from when this process first saw the 4-tuple in TIME_WAIT plus the OS's TIME_WAIT
    /// length. A row already there when first seen is assumed fresh, so the estimate errs long.
    /// </summary>
    internal static class TimeWaitEstimate
    {
        struct Tuple4 : IEquatable<Tuple4>
        {
            internal IPKey L, R;
            internal int LP, RP;
            public bool Equals(Tuple4 o) => L.Equals(o.L) && R.Equals(o.R) && LP == o.LP && RP == o.RP;
            public override bool Equals(object obj) => obj is Tuple4 t && Equals(t);
            public override int GetHashCode() => L.GetHashCode() * 31 ^ R.GetHashCode() ^ (LP << 16 | RP);
        }

        static readonly ConcurrentDictionary<Tuple4, long> s_firstSeen = new ConcurrentDictionary<Tuple4, long>();
        static long s_lastPrune;

        /// <summary>Milliseconds left for this row, by the first-seen estimate.</summary>
        internal static long RemainingMs(ref RawTcpRow row, long timeWaitMs, DateTime nowUtc)
        {
            long now = nowUtc.Ticks;
            var key = new Tuple4 { L = row.Local, R = row.Remote, LP = row.LocalPort, RP = row.RemotePort };
            long first = s_firstSeen.GetOrAdd(key, now);
            Prune(now, timeWaitMs);
            long left = timeWaitMs - (now - first) / TimeSpan.TicksPerMillisecond;
            return left < 0 ? 0 : left;
        }

        /// <summary>Forgets tuples seen longer ago than the TIME_WAIT length plus a minute, at most once a minute,
        /// so the cache stays bounded and a reused 4-tuple starts a new estimate.</summary>
        static void Prune(long now, long timeWaitMs)
        {
            long last = System.Threading.Interlocked.Read(ref s_lastPrune);
            if (now - last < TimeSpan.TicksPerMinute || System.Threading.Interlocked.CompareExchange(ref s_lastPrune, now, last) != last)
                return;
            long cutoff = now - (timeWaitMs + 60000) * TimeSpan.TicksPerMillisecond;
            foreach (var kv in s_firstSeen)
                if (kv.Value < cutoff)
                    s_firstSeen.TryRemove(kv.Key, out _);
        }
    }
}
