using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// Tries a real bind with a listener's options, releases it at once, and says whether a listener
    /// could bind now and, if not, what holds the port.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "TcpBind")]
    [OutputType(typeof(BindTestResult))]
    public sealed class TestTcpBindCommand : TcpCmdlet
    {
        #region Parameters

        /// <summary>The port to test, 0 to 65535. Accepts pipeline input by property name.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("LocalPort")]
        public int Port { get; set; }

        /// <summary>The local address to test: an IP literal or 'localhost'. Default 127.0.0.1.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("LocalAddress")]
        public string Address { get; set; } = "127.0.0.1";

        /// <summary>Test the bind with SO_REUSEADDR set, as Start-TcpListener -ReuseAddress would.</summary>
        [Parameter]
        public SwitchParameter ReuseAddress { get; set; }

        /// <summary>Test the bind with SO_EXCLUSIVEADDRUSE set. Windows only; elsewhere the error is PlatformNotSupported.</summary>
        [Parameter]
        public SwitchParameter ExclusiveAddressUse { get; set; }

        /// <summary>Linux: test the bind in this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
                return;
            var options = new BindTestOptions
            {
                NetworkNamespace = ns,
                Address = Address,
                Port = Port,
                ReuseAddress = ReuseAddress,
                ExclusiveAddressUse = ExclusiveAddressUse,
            };
            try
            {
                WriteObject(BindDiagnosis.Test(options));
            }
            catch (TcpCloseException ex)
            {
                WriteTcpError(ex);
            }
        }

        #endregion
    }
}
