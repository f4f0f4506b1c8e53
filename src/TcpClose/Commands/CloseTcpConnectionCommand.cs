using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Ends connections in one of the four close styles of UNP 7.5 and reports what happened.</summary>
    [Cmdlet(VerbsCommon.Close, "TcpConnection", DefaultParameterSetName = GracefulSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(CloseResult))]
    public sealed class CloseTcpConnectionCommand : TcpCmdlet
    {
        // Set names are the CloseStyle names, so the set chosen is the style.
        private const string GracefulSet = nameof(CloseStyle.Graceful);
        private const string LingerSet = nameof(CloseStyle.Linger);
        private const string AbortSet = nameof(CloseStyle.Abort);
        private const string HalfCloseSet = nameof(CloseStyle.HalfClose);

        #region Parameters

        /// <summary>The connections to close, or their Ids (Tab completes them). Accepts pipeline input.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ArgumentCompleter(typeof(ConnectionCompleter))]
        [ConnectionTransformation]
        public Connection[] Connection { get; set; }

        /// <summary>Close with SO_LINGER on and this many seconds (0 to 65535): close waits until the data and FIN are acknowledged or the time runs out.</summary>
        [Parameter(ParameterSetName = LingerSet, Mandatory = true)]
        public int Linger { get; set; }

        /// <summary>Abortive close (SO_LINGER on with 0 seconds): send RST, discard queued data, leave no TIME_WAIT.</summary>
        [Parameter(ParameterSetName = AbortSet, Mandatory = true)]
        public SwitchParameter Abort { get; set; }

        /// <summary>Shut down the sending direction (send FIN), read and discard until the peer's FIN, then close.</summary>
        [Parameter(ParameterSetName = HalfCloseSet, Mandatory = true)]
        public SwitchParameter HalfClose { get; set; }

        /// <summary>With -HalfClose: how many seconds to wait for the peer's FIN. Default 10.</summary>
        [Parameter(ParameterSetName = HalfCloseSet)]
        public double Timeout { get; set; } = 10;

        #endregion

        #region Overrides

        // -Abort:$false and -HalfClose:$false (as a script passes a switch of its own on) choose
        // their parameter set but ask for no such close: they close gracefully.
        private CloseStyle Style => ParameterSetName == LingerSet ? CloseStyle.Linger
            : ParameterSetName == AbortSet && Abort.IsPresent ? CloseStyle.Abort
            : ParameterSetName == HalfCloseSet && HalfClose.IsPresent ? CloseStyle.HalfClose
            : CloseStyle.Graceful;

        /// <summary>A value no close could use stops the command before any ShouldProcess.</summary>
        protected override void BeginProcessing()
        {
            try
            {
                TcpClose.Connection.CheckCloseArguments(Style, Linger, ToTimeout(Timeout));
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }
        }

        protected override void ProcessRecord()
        {
            CloseStyle style = Style;
            string action = style == CloseStyle.Linger ? $"Close (Linger {Linger} s: wait for the peer to acknowledge data and FIN)"
                : style == CloseStyle.Abort ? "Close (Abort: send RST)"
                : style == CloseStyle.HalfClose ? "Close (HalfClose: send FIN, drain until the peer's FIN)"
                : "Close (Graceful: send FIN)";

            foreach (Connection connection in Connection)
            {
                string target = $"{connection.LocalAddress}:{connection.LocalPort} -> {connection.RemoteAddress}:{connection.RemotePort} (connection {connection.Id})";
                if (!ShouldProcess(target, action))
                {
                    continue;
                }

                try
                {
                    WriteObject(connection.Close(style, Linger, ToTimeout(Timeout), StopToken));
                }
                catch (TcpCloseException ex)
                {
                    WriteTcpError(ex);
                }
            }
        }

        #endregion
    }
}
