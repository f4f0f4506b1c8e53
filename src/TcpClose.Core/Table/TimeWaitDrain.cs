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
        /// <remarks>
        /// Polls every 250 ms at most (less when the timeout is nearer), so a port frees within a
        /// quarter second of its last row going; one read per poll, kernel-filtered on Linux.
        /// Cancellation throws <see cref="OperationCanceledException"/>.
        /// </remarks>
        public static IReadOnlyList<TimeWaitEntry> Wait(TcpTableFilter filter, TimeSpan timeout,
            Action<TimeWaitProgress> onProgress, CancellationToken cancellationToken)
        {
            Endpoints.CheckTimeout(timeout, "wait timeout");
            if (timeout == TimeSpan.MaxValue)
                throw new TcpCloseException(ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument,
                    "An endless wait timeout is not allowed: give a number of seconds above 0.", timeout);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rows = new List<TimeWaitEntry>(TcpTable.ReadTimeWait(filter));
                TimeSpan longest = TimeSpan.Zero;
                foreach (var r in rows)
                    if (r.Remaining > longest)
                        longest = r.Remaining;
                TimeSpan elapsed = clock.Elapsed;
                onProgress?.Invoke(new TimeWaitProgress(rows.Count, longest, elapsed > timeout ? timeout : elapsed, timeout));
                if (rows.Count == 0)
                    return rows;
                TimeSpan left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                    return rows;
                TimeSpan pause = left < PollInterval ? left : PollInterval;
                if (cancellationToken.WaitHandle.WaitOne(pause))
                    cancellationToken.ThrowIfCancellationRequested();
            }
        }

        /// <summary>
        /// <see cref="Wait(TcpTableFilter, TimeSpan, Action{TimeWaitProgress}, CancellationToken)"/> with the
        /// timeout in seconds as the cmdlet takes it: NaN, infinities, 0 and negatives are InvalidTimeout
        /// (TimeSpan.FromSeconds would throw its own exception for some of them first).
        /// </summary>
        public static IReadOnlyList<TimeWaitEntry> Wait(TcpTableFilter filter, double timeoutSeconds,
            Action<TimeWaitProgress> onProgress, CancellationToken cancellationToken)
        {
            if (double.IsNaN(timeoutSeconds) || double.IsInfinity(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > TimeSpan.MaxValue.TotalSeconds / 2)
                throw new TcpCloseException(ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument,
                    $"Timeout {timeoutSeconds} s is not a positive, finite time. Give a number of seconds above 0.", timeoutSeconds);
            return Wait(filter, TimeSpan.FromSeconds(timeoutSeconds), onProgress, cancellationToken);
        }

        /// <summary>The longest pause between two reads of the table.</summary>
        /// <summary>
        /// The TimeWaitRemains error for a wait that ran out: how many rows are left on which ports,
        /// the longest time left, and what to do. The rows are the target.
        /// </summary>
        public static TcpCloseException Remains(IReadOnlyList<TimeWaitEntry> left, IEnumerable<int> ports, TimeSpan timeout)
        {
            TimeSpan longest = TimeSpan.Zero;
            foreach (var r in left)
                if (r.Remaining > longest)
                    longest = r.Remaining;
            var portList = new SortedSet<int>(ports);
            bool estimated = false;
            foreach (var r in left)
                estimated |= r.IsEstimated;
            return new TcpCloseException(ErrorIds.TimeWaitRemains, TcpErrorCategory.OperationTimeout,
                $"{Plural.Of(left.Count, "TIME_WAIT row")} still on {Plural.Ports(portList)} after {timeout.TotalSeconds:0.###} s; " +
                $"the longest has {Math.Ceiling(longest.TotalSeconds):0} s left{(estimated ? " (estimated)" : "")}. " +
                "Wait longer (-Timeout), or restart the service with -ReuseAddress on both the old and the new listener.",
                left is TimeWaitEntry[] array ? array : new List<TimeWaitEntry>(left).ToArray());
        }

        internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    }
}
