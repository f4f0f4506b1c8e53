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
        // Ports per namespace piped in (the key null: the caller's own), in the order first seen.
        private readonly List<KeyValuePair<NetworkNamespace, List<int>>> _waits = new List<KeyValuePair<NetworkNamespace, List<int>>>();

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

        /// <summary>Linux: wait on the table in this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        #region Overrides

        // Ports are gathered from the whole pipeline and waited on once, with one progress bar and one timeout.
        protected override void ProcessRecord()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
                return;
            long id = ns?.Id ?? 0;
            int at = _waits.FindIndex(w => (w.Key?.Id ?? 0) == id);
            if (at < 0)
            {
                _waits.Add(new KeyValuePair<NetworkNamespace, List<int>>(ns, new List<int>()));
                at = _waits.Count - 1;
            }
            _waits[at].Value.AddRange(LocalPort);
        }

        protected override void EndProcessing()
        {
            List<int> ports = _waits.SelectMany(w => w.Value).ToList();
            if (ports.Count == 0)
            {
                return; // nothing was piped in; an empty port filter would mean every port
            }

            // One wait per namespace, in turn, sharing one timeout and one progress bar.
            TimeSpan total = ToTimeout(Timeout); // validated by the core on the first wait
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var progress = new ProgressRecord(ProgressActivityId,
                $"Waiting for TIME_WAIT to clear on {Plural.Ports(ports.Distinct().ToList())}", "Reading the TCP table");
            var left = new List<TimeWaitEntry>();
            foreach (var wait in _waits)
            {
                var filter = new TcpTableFilter { LocalPorts = wait.Value, LocalAddresses = LocalAddress, NetworkNamespace = wait.Key };
                TimeSpan timeout = ReferenceEquals(wait.Value, _waits[0].Value) ? total
                    : TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (total - clock.Elapsed).Ticks));
                try
                {
                    left.AddRange(TimeWaitDrain.Wait(filter, timeout, p => ReportProgress(progress, p), StopToken));
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
            }

            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            if (left.Count == 0)
            {
                return;
            }

            WriteTcpError(TimeWaitDrain.Remains(left, ports, ToTimeout(Timeout)));
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
