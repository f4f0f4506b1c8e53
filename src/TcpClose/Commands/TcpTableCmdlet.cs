using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// The base of the cmdlets that read the OS's TCP table: the endpoint filters they share, and
    /// rows written as they stream out of the reader.
    /// </summary>
    public abstract class TcpTableCmdlet : TcpCmdlet
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

        /// <summary>The endpoint filters as given; the derived cmdlet adds its own.</summary>
        protected TcpTableFilter EndpointFilter() => new TcpTableFilter
        {
            LocalAddresses = LocalAddress,
            LocalPorts = LocalPort,
            RemoteAddresses = RemoteAddress,
            RemotePorts = RemotePort,
        };

        /// <summary>
        /// Writes each row as the reader yields it; bad filter values and a table that cannot be read
        /// stop the command with the core's id (InvalidPort, InvalidAddress, TcpTableUnavailable).
        /// </summary>
        /// <remarks>
        /// Takes the read as a delegate, not the rows: the core checks the filter when the read is
        /// <em>created</em> (before the first row), and a TcpCloseException thrown outside this try
        /// would reach PowerShell bare, as "TcpClose.TcpCloseException,..." without its id.
        /// </remarks>
        protected void WriteRows<T>(Func<IEnumerable<T>> read)
        {
            try
            {
                foreach (T row in read())
                {
                    WriteObject(row);
                }
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }
        }
    }
}
