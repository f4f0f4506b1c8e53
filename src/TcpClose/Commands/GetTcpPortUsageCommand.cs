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

        /// <summary>Linux: read the table and port range in this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
                return;
            try
            {
                // One read of the table, aggregated as it streams; sorting needs every row, so the
                // destinations are written once it is read (once per namespace piped in).
                WriteObject(PortUsage.Read(RemoteAddress, RemotePort, ns), enumerateCollection: true);
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }
        }

        #endregion
    }
}
