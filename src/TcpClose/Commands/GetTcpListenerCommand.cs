using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Lists the running listeners this PowerShell process started.</summary>
    [Cmdlet(VerbsCommon.Get, "TcpListener", DefaultParameterSetName = NameSet)]
    [OutputType(typeof(Listener))]
    public sealed class GetTcpListenerCommand : TcpCmdlet
    {
        private const string NameSet = "Name";
        private const string IdSet = "Id";

        #region Parameters

        /// <summary>Names of the listeners to get; wildcards are supported. Without -Name or -Id, all running listeners.</summary>
        [Parameter(ParameterSetName = NameSet, Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(ListenerCompleter))]
        public string[] Name { get; set; }

        /// <summary>Ids of the listeners to get.</summary>
        [Parameter(ParameterSetName = IdSet, Mandatory = true)]
        [ArgumentCompleter(typeof(ListenerCompleter))]
        public int[] Id { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            var listeners = ParameterSetName == IdSet
                ? ListenerLookup.ById(Id, WriteTcpError)
                : ListenerLookup.ByName(Name, WriteTcpError);
            foreach (Listener listener in listeners)
            {
                WriteObject(listener);
            }
        }

        #endregion
    }
}
