using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Opens a TCP connection to a remote endpoint (the client side).</summary>
    [Cmdlet(VerbsCommon.New, "TcpConnection")]
    [OutputType(typeof(Connection))]
    public sealed class NewTcpConnectionCommand : TcpCmdlet
    {
        #region Parameters

        /// <summary>The address to connect to: an IP literal or a host name.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public string RemoteAddress { get; set; }

        /// <summary>The port to connect to, 1 to 65535.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        public int RemotePort { get; set; }

        /// <summary>The local address to bind before connecting. By default the OS chooses.</summary>
        [Parameter]
        public string LocalAddress { get; set; }

        /// <summary>The local port to bind before connecting. 0 (the default) lets the OS pick an ephemeral port.</summary>
        [Parameter]
        public int LocalPort { get; set; }

        /// <summary>Set SO_REUSEADDR (alone) before the local bind, so a local port still in TIME_WAIT can be reused.</summary>
        [Parameter]
        public SwitchParameter ReuseAddress { get; set; }

        /// <summary>How many seconds to wait for the connection to be established. Default 10.</summary>
        [Parameter]
        public double Timeout { get; set; } = 10;

        /// <summary>Linux: connect from a socket made in this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
                return;
            var options = new ConnectOptions
            {
                NetworkNamespace = ns,
                RemoteAddress = RemoteAddress,
                RemotePort = RemotePort,
                LocalAddress = LocalAddress,
                LocalPort = LocalPort,
                ReuseAddress = ReuseAddress,
                Timeout = ToTimeout(Timeout),
            };
            try
            {
                WriteObject(TcpSockets.Connect(options, StopToken));
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }
        }

        #endregion
    }
}
