using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Reads the OS's TCP table, every process, like Get-NetTCPConnection on every OS. Rows stream out as they are read.</summary>
    [Cmdlet(VerbsCommon.Get, "TcpConnection")]
    [OutputType(typeof(TcpTableEntry))]
    public sealed class GetTcpConnectionCommand : TcpTableCmdlet
    {
        #region Parameters

        /// <summary>Only rows in these states (Listen, Established, TimeWait...).</summary>
        [Parameter]
        public TcpState[] State { get; set; }

        /// <summary>Only rows owned by one of these process ids.</summary>
        [Parameter]
        public int[] OwningProcess { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            TcpTableFilter filter = EndpointFilter();
            if (filter == null)
                return;
            filter.States = State;
            filter.OwningProcesses = OwningProcess;

            // Like Get-NetTCPConnection, every row shows its owner; on Linux it is found when first
            // read (a pipeline that never reads OwningProcess walks no /proc/*/fd).
            WriteRows(() => TcpTable.Read(filter));
        }

        #endregion
    }
}
