using System;
using System.Collections.Generic;
using System.Threading;

namespace TcpClose
{
    /// <summary>One report while waiting for TIME_WAIT rows to go.</summary>
    public sealed class TimeWaitProgress
    {
        public TimeWaitProgress(int rowsLeft, TimeSpan longestRemaining, TimeSpan elapsed, TimeSpan timeout)
        {
            RowsLeft = rowsLeft;
            LongestRemaining = longestRemaining;
            Elapsed = elapsed;
            Timeout = timeout;
        }

        public int RowsLeft { get; }
        public TimeSpan LongestRemaining { get; }
        public TimeSpan Elapsed { get; }
        public TimeSpan Timeout { get; }
    }

    /// <summary>Waiting until no TIME_WAIT row is left on some ports (Wait-TcpTimeWait).</summary>
    public static class TimeWaitDrain
    {
        /// <summary>
        /// Polls the table (bounded interval) until no TIME_WAIT row matches the filter or the timeout
        /// passes. Calls <paramref name="onProgress"/> on the calling thread after each read. Returns
        /// the rows still there (empty when drained). InvalidTimeout for a timeout that is not positive.
        /// </summary>
        public static IReadOnlyList<TimeWaitEntry> Wait(TcpTableFilter filter, TimeSpan timeout,
            Action<TimeWaitProgress> onProgress, CancellationToken cancellationToken) => throw new NotImplementedException();
    }
}
