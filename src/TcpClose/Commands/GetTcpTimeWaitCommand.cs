using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Reads the TIME_WAIT rows of the OS's TCP table with the time each has left.</summary>
    [Cmdlet(VerbsCommon.Get, "TcpTimeWait")]
    [OutputType(typeof(TimeWaitEntry))]
    public sealed class GetTcpTimeWaitCommand : TcpCmdlet
    {
        #region Parameters

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

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            var filter = new TcpTableFilter
            {
                LocalAddresses = LocalAddress,
                LocalPorts = LocalPort,
                RemoteAddresses = RemoteAddress,
                RemotePorts = RemotePort,
            };
            try
            {
                foreach (TimeWaitEntry row in TcpTable.ReadTimeWait(filter))
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
