using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Accepts the next incoming connection on a listener.</summary>
    [Cmdlet(VerbsLifecycle.Wait, "TcpConnection", DefaultParameterSetName = ListenerSet)]
    [OutputType(typeof(Connection))]
    public sealed class WaitTcpConnectionCommand : TcpCmdlet
    {
        private const string ListenerSet = "Listener";
        private const string IdSet = "Id";

        #region Parameters

        /// <summary>The listener to accept on, or its Id or Name (Tab completes them). Accepts pipeline input.</summary>
        [Parameter(ParameterSetName = ListenerSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ListenerTransformation]
        [ArgumentCompleter(typeof(ListenerCompleter))]
        public Listener Listener { get; set; }

        /// <summary>The id of the listener to accept on.</summary>
        [Parameter(ParameterSetName = IdSet, Mandatory = true)]
        [ArgumentCompleter(typeof(ListenerCompleter))]
        public int Id { get; set; }

        /// <summary>How many seconds to wait for a connection. Default 30.</summary>
        [Parameter]
        public double Timeout { get; set; } = 30;

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            Listener listener = ParameterSetName == IdSet ? TcpRegistry.FindListener(Id) : Listener;
            if (listener == null)
            {
                WriteTcpError(ListenerLookup.NotFound(Id));
                return;
            }

            try
            {
                WriteObject(listener.Accept(ToTimeout(Timeout), StopToken));
            }
            catch (TcpCloseException ex)
            {
                WriteTcpError(ex);
            }
        }

        #endregion
    }
}
