using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Writes text, bytes or a run of zero bytes to a connection.</summary>
    [Cmdlet(VerbsCommunications.Send, "TcpData", DefaultParameterSetName = TextSet)]
    [OutputType(typeof(SendResult))]
    public sealed class SendTcpDataCommand : TcpCmdlet
    {
        private const string TextSet = "Text";

        // `$connection | Send-TcpData 'ping'`: the connection comes from the pipeline, which binds
        // after positional arguments, so a set where -Text is at position 0 takes 'ping' as the text
        // (in the Text set position 0 is the connection, and 'ping' cannot become one).
        private const string PipelineTextSet = "PipelineText";
        private const string BytesSet = "Bytes";
        private const string FillSet = "Fill";

        #region Parameters

        /// <summary>The connection to write to, or its Id (Tab completes it). Accepts pipeline input.</summary>
        [Parameter(ParameterSetName = TextSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = PipelineTextSet, Mandatory = true, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = BytesSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = FillSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ArgumentCompleter(typeof(ConnectionCompleter))]
        [ConnectionTransformation]
        public Connection Connection { get; set; }

        /// <summary>The text to send, encoded with -Encoding.</summary>
        [Parameter(ParameterSetName = TextSet, Mandatory = true, Position = 1)]
        [Parameter(ParameterSetName = PipelineTextSet, Mandatory = true, Position = 0)]
        [AllowEmptyString]
        public string Text { get; set; }

        /// <summary>The encoding of -Text: UTF8 (the default, without BOM), ASCII, Unicode, BigEndianUnicode, UTF32 or Latin1.</summary>
        [Parameter(ParameterSetName = TextSet)]
        [Parameter(ParameterSetName = PipelineTextSet)]
        [ValidateSet("UTF8", "ASCII", "Unicode", "BigEndianUnicode", "UTF32", "Latin1", IgnoreCase = true)]
        public string Encoding { get; set; } = "UTF8";

        /// <summary>The bytes to send.</summary>
        [Parameter(ParameterSetName = BytesSet, Mandatory = true)]
        [AllowEmptyCollection]
        public byte[] Bytes { get; set; }

        /// <summary>Send this many zero bytes, for example to fill the peer's receive window. At least 1.</summary>
        [Parameter(ParameterSetName = FillSet, Mandatory = true)]
        public long Size { get; set; }

        /// <summary>How many seconds to keep sending while the peer does not take the data. Default 10.</summary>
        [Parameter]
        public double Timeout { get; set; } = 10;

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            try
            {
                SendResult result = ParameterSetName == FillSet ? Connection.SendFill(Size, ToTimeout(Timeout), StopToken)
                    : ParameterSetName == BytesSet ? Connection.Send(Bytes, ToTimeout(Timeout), StopToken)
                    : Connection.Send(TextEncodings.Get(Encoding).GetBytes(Text), ToTimeout(Timeout), StopToken);
                WriteObject(result);
            }
            catch (TcpCloseException ex)
            {
                WriteTcpError(ex);
            }
        }

        #endregion
    }
}
