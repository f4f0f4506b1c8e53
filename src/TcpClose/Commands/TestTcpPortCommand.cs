using System;
using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// Probes a TCP port: connects, then closes abortively so no TIME_WAIT is left on either side;
    /// with -Wait, probes again until the port answers or the timeout passes.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "TcpPort")]
    [OutputType(typeof(PortTestResult))]
    public sealed class TestTcpPortCommand : TcpCmdlet
    {
        private const int ProgressActivityId = 1;
        private const double DefaultWaitSeconds = 30;

        private TimeSpan _timeout;

        #region Parameters

        /// <summary>
        /// The address or host name to probe. Default localhost: the OS resolver's loopback
        /// addresses for it, then whichever of 127.0.0.1 and ::1 it left out, tried in that order
        /// until one connects. 0.0.0.0 and :: mean this host (127.0.0.1, ::1). Accepts pipeline input
        /// by property name, also as ComputerName or LocalAddress (a listener's address).
        /// </summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("ComputerName", "LocalAddress")]
        public string RemoteAddress { get; set; } = "localhost";

        /// <summary>
        /// The port to probe, 1 to 65535. Accepts pipeline input by property name, also as Port or
        /// LocalPort (a listener's port).
        /// </summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Port", "LocalPort")]
        public int RemotePort { get; set; }

        /// <summary>
        /// Seconds. Without -Wait: how long one connect to one address may take (default 5). With
        /// -Wait: how long to keep probing in all (default 30); each connect then gets at most 5 s
        /// and never more than the time left.
        /// </summary>
        [Parameter]
        public double Timeout { get; set; }

        /// <summary>Probe again, about four times a second, until the port answers or -Timeout passes.</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        /// <summary>Linux: probe from a socket made in this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        #region Overrides

        protected override void BeginProcessing()
        {
            bool timeoutGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout));
            _timeout = timeoutGiven
                ? ToTimeout(Timeout)
                : Wait ? TimeSpan.FromSeconds(DefaultWaitSeconds) : PortProbe.DefaultConnectTimeout;
            if (_timeout <= TimeSpan.Zero)
            {
                ThrowTcpError(new TcpCloseException(ErrorIds.InvalidTimeout, TcpErrorCategory.InvalidArgument,
                    $"{Timeout} s is not a valid -Timeout: it must be a number of seconds more than 0.", Timeout));
            }
        }

        protected override void ProcessRecord()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
                return;
            var options = new PortTestOptions
            {
                NetworkNamespace = ns,
                RemoteAddress = RemoteAddress,
                RemotePort = RemotePort,
                ConnectTimeout = Wait && _timeout > PortProbe.DefaultConnectTimeout ? PortProbe.DefaultConnectTimeout : _timeout,
            };

            PortTestResult result;
            ProgressRecord progress = null;
            try
            {
                if (Wait)
                {
                    progress = new ProgressRecord(ProgressActivityId,
                        $"Waiting for port {RemotePort} on {RemoteAddress} to answer", "Probing");
                    result = PortProbe.Wait(options, _timeout, r => ReportProgress(progress, r), ReportProbe, StopToken);
                }
                else
                {
                    result = PortProbe.Test(options, ReportProbe, StopToken);
                }
            }
            catch (TcpCloseException ex)
            {
                WriteTcpError(ex);
                return;
            }
            catch (OperationCanceledException)
            {
                return; // Ctrl+C: StopProcessing cancelled the probe and PowerShell is stopping the pipeline.
            }
            finally
            {
                if (progress != null)
                {
                    progress.RecordType = ProgressRecordType.Completed;
                    WriteProgress(progress);
                }
            }

            // The result first, so it reaches the pipeline even when -ErrorAction Stop turns the
            // error into a terminating one.
            WriteObject(result);
            if (Wait && !result.Succeeded)
            {
                WriteTcpError(PortProbe.NotAnswering(result, _timeout));
            }
        }

        #endregion

        private void ReportProbe(PortTestResult probe) => WriteVerbose(probe.ToString());

        private void ReportProgress(ProgressRecord progress, PortTestResult last)
        {
            progress.StatusDescription = $"Attempt {last.Attempts}: {last}";
            progress.PercentComplete = (int)Math.Min(100, 100 * last.Elapsed.Ticks / _timeout.Ticks);
            progress.SecondsRemaining = (int)Math.Max(0, (_timeout - last.Elapsed).TotalSeconds);
            WriteProgress(progress);
        }
    }
}
