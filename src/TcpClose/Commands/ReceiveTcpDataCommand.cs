using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Reads what arrives on a connection within a time limit, reporting end of stream and resets in the result.</summary>
    [Cmdlet(VerbsCommunications.Receive, "TcpData")]
    [OutputType(typeof(ReceiveResult))]
    public sealed class ReceiveTcpDataCommand : TcpCmdlet
    {
        #region Parameters

        /// <summary>The connection to read from, or its Id (Tab completes it). Accepts pipeline input.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ArgumentCompleter(typeof(ConnectionCompleter))]
        [ConnectionTransformation]
        public Connection Connection { get; set; }

        /// <summary>The most bytes to read. Default 65536; at least 1.</summary>
        [Parameter]
        public int MaxBytes { get; set; } = 65536;

        /// <summary>How many seconds to wait for data. Default 5.</summary>
        [Parameter]
        public double Timeout { get; set; } = 5;

        /// <summary>Keep reading until the peer's FIN, a reset, -MaxBytes or -Timeout, instead of returning after the first data.</summary>
        [Parameter]
        public SwitchParameter UntilClosed { get; set; }

        /// <summary>The encoding used to decode the data into the Text property: UTF8 (the default), ASCII, Unicode, BigEndianUnicode, UTF32 or Latin1.</summary>
        [Parameter]
        [ValidateSet("UTF8", "ASCII", "Unicode", "BigEndianUnicode", "UTF32", "Latin1", IgnoreCase = true)]
        public string Encoding { get; set; } = "UTF8";

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            try
            {
                WriteObject(Connection.Receive(MaxBytes, ToTimeout(Timeout), UntilClosed, TextEncodings.Get(Encoding), StopToken));
            }
            catch (TcpCloseException ex)
            {
                WriteTcpError(ex);
            }
        }

        #endregion
    }
}
