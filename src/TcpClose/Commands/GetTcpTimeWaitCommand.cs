using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>Reads the TIME_WAIT rows of the OS's TCP table with the time each has left.</summary>
    [Cmdlet(VerbsCommon.Get, "TcpTimeWait")]
    [OutputType(typeof(TimeWaitEntry))]
    public sealed class GetTcpTimeWaitCommand : TcpTableCmdlet
    {
        #region Overrides

        protected override void ProcessRecord()
        {
            TcpTableFilter filter = EndpointFilter();
            if (filter != null)
                WriteRows(() => TcpTable.ReadTimeWait(filter));
        }

        #endregion
    }
}
