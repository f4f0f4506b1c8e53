using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Reads the OS's TCP table, every process, like Get-NetTCPConnection on every OS. Rows stream out as they are read.</summary>
    [Cmdlet(VerbsCommon.Get, "TcpConnection")]
    [OutputType(typeof(TcpTableEntry))]
    public sealed class GetTcpConnectionCommand : TcpCmdlet
    {
        #region Parameters

        /// <summary>Only rows in these states (Listen, Established, TimeWait...).</summary>
        [Parameter]
        public TcpState[] State { get; set; }

        /// <summary>Only rows with one of these local addresses.</summary>
        [Parameter]
        public string[] LocalAddress { get; set; }

        /// <summary>Only rows with one of these local ports.</summary>
        [Parameter]
        public int[] LocalPort { get; set; }

        /// <summary>Only rows with one of these remote addresses.</summary>
        [Parameter]
        public string[] RemoteAddress { get; set; }

        /// <summary>Only rows with one of these remote ports.</summary>
        [Parameter]
        public int[] RemotePort { get; set; }

        /// <summary>Only rows owned by one of these process ids.</summary>
        [Parameter]
        public int[] OwningProcess { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            var filter = new TcpTableFilter
            {
                States = State,
                LocalAddresses = LocalAddress,
                LocalPorts = LocalPort,
                RemoteAddresses = RemoteAddress,
                RemotePorts = RemotePort,
                OwningProcesses = OwningProcess,

                // Like Get-NetTCPConnection, every row shows its owner. On Linux that is one walk of
                // /proc/*/fd per call, measured as no slower than Listen-only resolution (README).
                ResolveAllOwners = true,
            };
            try
            {
                foreach (TcpTableEntry row in TcpTable.Read(filter))
                {
                    WriteObject(row);
                }
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }
        }

        #endregion
    }
}
