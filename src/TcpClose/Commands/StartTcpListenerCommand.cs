using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Binds and listens on a TCP port with exactly the socket options asked for.</summary>
    [Cmdlet(VerbsLifecycle.Start, "TcpListener")]
    [OutputType(typeof(Listener))]
    public sealed class StartTcpListenerCommand : TcpCmdlet
    {
        #region Parameters

        /// <summary>The port to listen on, 0 to 65535. 0 (the default) lets the OS pick an ephemeral port.</summary>
        [Parameter(Position = 0)]
        public int Port { get; set; }

        /// <summary>
        /// The local address to bind: an IP literal or 'localhost'. Default 127.0.0.1, so nothing is
        /// exposed to the network unless asked.
        /// </summary>
        [Parameter]
        public string Address { get; set; } = "127.0.0.1";

        /// <summary>Set SO_REUSEADDR (alone) before bind, so the port can be bound while TIME_WAIT rows remain on it.</summary>
        [Parameter]
        public SwitchParameter ReuseAddress { get; set; }

        /// <summary>Set SO_EXCLUSIVEADDRUSE before bind. Windows only; elsewhere the error is PlatformNotSupported.</summary>
        [Parameter]
        public SwitchParameter ExclusiveAddressUse { get; set; }

        /// <summary>Set SO_REUSEPORT before bind, so live listeners share the port. Linux and macOS only.</summary>
        [Parameter]
        public SwitchParameter ReusePort { get; set; }

        /// <summary>For an IPv6 address: accept IPv4 connections too (IPV6_V6ONLY off).</summary>
        [Parameter]
        public SwitchParameter DualMode { get; set; }

        /// <summary>The listen() backlog, 1 to 65535. Default 128.</summary>
        [Parameter]
        public int Backlog { get; set; } = 128;

        /// <summary>A name to find the listener again with Get-TcpListener or Stop-TcpListener; a blank name is refused (InvalidName).</summary>
        [Parameter]
        public string Name { get; set; }

        /// <summary>Linux: listen on a socket made in this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
                return;
            var options = new ListenerOptions
            {
                NetworkNamespace = ns,
                Address = Address,
                Port = Port,
                ReuseAddress = ReuseAddress,
                ExclusiveAddressUse = ExclusiveAddressUse,
                ReusePort = ReusePort,
                DualMode = DualMode,
                Backlog = Backlog,
                Name = Name,
            };
            try
            {
                WriteObject(TcpSockets.StartListener(options));
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }
        }

        #endregion
    }
}
