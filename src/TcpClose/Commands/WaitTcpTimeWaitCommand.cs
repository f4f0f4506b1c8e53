using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// Blocks, with a progress bar, until no TIME_WAIT row is left on the given local ports or the
    /// timeout passes; on timeout writes a TimeWaitRemains error and the rows left.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "TcpTimeWait")]
    [OutputType(typeof(TimeWaitEntry))]
    public sealed class WaitTcpTimeWaitCommand : TcpCmdlet
    {
        private const int ProgressActivityId = 1;
        private readonly List<int> _ports = new List<int>();

        #region Parameters

        /// <summary>
        /// The local ports to wait on. Accepts pipeline input by property name, so listeners and
        /// TIME_WAIT rows can be piped in; the wait covers every port piped in.
        /// </summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        public int[] LocalPort { get; set; }

        /// <summary>Only wait for rows with one of these local addresses.</summary>
        [Parameter]
        public string[] LocalAddress { get; set; }

        /// <summary>How many seconds to wait at most. Default 150 (more than Linux's 60 s and Windows' default 120 s TIME_WAIT).</summary>
        [Parameter]
        public double Timeout { get; set; } = 150;

        #endregion

        #region Overrides

        // Ports are gathered from the whole pipeline and waited on once, with one progress bar and one timeout.
        protected override void ProcessRecord() => _ports.AddRange(LocalPort);

        protected override void EndProcessing()
        {
            if (_ports.Count == 0)
            {
                return; // nothing was piped in; an empty port filter would mean every port
            }

            var filter = new TcpTableFilter { LocalPorts = _ports, LocalAddresses = LocalAddress };
            var progress = new ProgressRecord(ProgressActivityId,
                $"Waiting for TIME_WAIT to clear on {Plural.Ports(_ports.Distinct().ToList())}", "Reading the TCP table");
            IReadOnlyList<TimeWaitEntry> left;
            try
            {
                left = TimeWaitDrain.Wait(filter, ToTimeout(Timeout), p => ReportProgress(progress, p), StopToken);
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
                return;
            }
            catch (OperationCanceledException)
            {
                return; // Ctrl+C: StopProcessing cancelled the wait and PowerShell is stopping the pipeline.
            }

            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            if (left.Count == 0)
            {
                return;
            }

            WriteTcpError(TimeWaitDrain.Remains(left, _ports, ToTimeout(Timeout)));
            WriteObject(left, enumerateCollection: true);
        }

        #endregion

        private void ReportProgress(ProgressRecord progress, TimeWaitProgress p)
        {
            progress.StatusDescription = $"{Plural.Of(p.RowsLeft, "row")} left, longest {p.LongestRemaining.TotalSeconds:0} s";
            progress.PercentComplete = p.Timeout > TimeSpan.Zero
                ? (int)Math.Min(100, 100 * p.Elapsed.Ticks / p.Timeout.Ticks)
                : -1;
            progress.SecondsRemaining = (int)Math.Max(0, (p.Timeout - p.Elapsed).TotalSeconds);
            WriteProgress(progress);
        }
    }
}
