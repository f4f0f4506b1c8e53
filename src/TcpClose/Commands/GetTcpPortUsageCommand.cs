using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// Gets the ephemeral ports in use per destination of outgoing connections, against the OS's
    /// range: how close a client is to running out of local ports. Highest PercentUsed first.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "TcpPortUsage")]
    [OutputType(typeof(PortUsageEntry))]
    public sealed class GetTcpPortUsageCommand : TcpCmdlet
    {
        #region Parameters

        /// <summary>Only destinations with one of these remote addresses.</summary>
        [Parameter(Position = 0)]
        public string[] RemoteAddress { get; set; }

        /// <summary>Only destinations with one of these remote ports.</summary>
        [Parameter(Position = 1)]
        public int[] RemotePort { get; set; }

        #endregion

        #region Overrides

        protected override void EndProcessing()
        {
            try
            {
                // One read of the table, aggregated as it streams; sorting needs every row, so the
                // destinations are written at the end.
                WriteObject(PortUsage.Read(RemoteAddress, RemotePort), enumerateCollection: true);
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }
        }

        #endregion
    }
}
