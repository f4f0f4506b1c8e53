using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Stops listeners this PowerShell process started: the listening socket is closed and leaves the registry.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "TcpListener", DefaultParameterSetName = ListenerSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(Listener))]
    public sealed class StopTcpListenerCommand : TcpCmdlet
    {
        private const string ListenerSet = "Listener";
        private const string IdSet = "Id";
        private const string NameSet = "Name";

        #region Parameters

        /// <summary>The listeners to stop, as returned by Start-TcpListener or Get-TcpListener, or their Ids or Names (Tab completes them). Accepts pipeline input.</summary>
        [Parameter(ParameterSetName = ListenerSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ListenerTransformation]
        [ArgumentCompleter(typeof(ListenerCompleter))]
        public Listener[] Listener { get; set; }

        /// <summary>Ids of the listeners to stop.</summary>
        [Parameter(ParameterSetName = IdSet, Mandatory = true)]
        [ArgumentCompleter(typeof(ListenerCompleter))]
        public int[] Id { get; set; }

        /// <summary>Names of the listeners to stop; wildcards are supported.</summary>
        [Parameter(ParameterSetName = NameSet, Mandatory = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ListenerCompleter))]
        public string[] Name { get; set; }

        /// <summary>Write each stopped listener to the pipeline. By default nothing is written.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            var listeners = ParameterSetName == IdSet ? ListenerLookup.ById(Id, WriteTcpError)
                : ParameterSetName == NameSet ? ListenerLookup.ByName(Name, WriteTcpError)
                : Listener;
            foreach (Listener listener in listeners)
            {
                if (!ShouldProcess($"{listener.LocalAddress}:{listener.LocalPort} (listener {listener.Id})", "Stop listener"))
                {
                    continue;
                }

                if (!listener.Stop())
                {
                    WriteTcpError(new TcpCloseException(ErrorIds.ListenerStopped, TcpErrorCategory.InvalidOperation,
                        $"Listener {listener.Id} on {listener.LocalAddress}:{listener.LocalPort} was already stopped.", listener));
                }
                else if (PassThru)
                {
                    WriteObject(listener);
                }
            }
        }

        #endregion
    }
}
