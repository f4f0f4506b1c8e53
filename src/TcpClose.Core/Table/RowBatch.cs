using System;
using System.Runtime.CompilerServices;

namespace TcpClose
{
    /// <summary>
    /// The rows one source read in one go (Linux netlink: one datagram, up to ~370 rows), so the
    /// per-row work is a loop over an array rather than a chain of iterators. One batch object is
    /// refilled by its source: a consumer finishes a batch before asking for the next.
    /// </summary>
    internal sealed class RowBatch
    {
        internal RowBatch(int capacity) => Rows = new RawTcpRow[capacity];

        internal RawTcpRow[] Rows;
        internal int Count;
        /// <summary>When the rows were read (UTC): the moment their timers were taken.</summary>
        internal DateTime ObservedAt;
        /// <summary>The source that gave the rows; set by <see cref="TcpTable"/> as it hands the batch on.</summary>
        internal TcpTableSource Source;

        /// <summary>Room for one more row (never needed for netlink's 32 KiB datagrams; kept for safety).</summary>
        internal void EnsureRoom()
        {
            if (Count == Rows.Length)
                Array.Resize(ref Rows, Rows.Length * 2);
        }
    }

    /// <summary>How the per-row code of the table readers is compiled.</summary>
    internal static class Jit
    {
        /// <summary>
        /// MethodImplOptions.AggressiveOptimization (netstandard2.0 lacks the name, the runtime knows the
        /// bit; .NET Framework has no tiered JIT and ignores it): compile optimized at the first call.
        /// </summary>
        /// <remarks>
        /// pwsh runs with tiered compilation, so a method starts as unoptimized tier-0 code and is only
        /// recompiled after 30 calls and a quiet 100 ms, which a busy PowerShell session rarely has.
        /// Measured with 40,000 TIME_WAIT rows: the first five Get-TcpTimeWait calls took 27–41 ms,
        /// later ones 16–19 ms, as with tiering off. Only the loops that run once per row carry it.
        /// </remarks>
        internal const MethodImplOptions Hot = (MethodImplOptions)512;
    }
}
