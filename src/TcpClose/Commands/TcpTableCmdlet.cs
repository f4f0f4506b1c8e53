using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.CompilerServices;

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

        /// <summary>Linux: read the table in this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        /// <summary>The endpoint filters as given; the derived cmdlet adds its own.</summary>
        /// <remarks>Null when -NetworkNamespace names a namespace that is not there (reported; this input is skipped).</remarks>
        protected TcpTableFilter EndpointFilter()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
                return null;
            TcpTableFilter filter = TcpTableFilter.For(null, LocalAddress, LocalPort, RemoteAddress, RemotePort, null);
            filter.OnWarning = WriteWarning; // rows skipped as malformed, a fall-back to another source
            filter.NetworkNamespace = ns;
            return filter;
        }

        /// <summary>
        /// Writes each row as the reader yields it; bad filter values and a table that cannot be read
        /// stop the command with the core's id (InvalidPort, InvalidAddress, TcpTableUnavailable).
        /// </summary>
        /// <remarks>
        /// Takes the read as a delegate, not the rows: the core checks the filter when the read is
        /// <em>created</em> (before the first row), and a TcpCloseException thrown outside this try
        /// would reach PowerShell bare, as "TcpClose.TcpCloseException,..." without its id.
        /// The loop runs once per row and is compiled optimized at the first call
        /// (MethodImplOptions.AggressiveOptimization, 512, which netstandard2.0 does not name): under
        /// pwsh's tiered JIT it would otherwise run as tier-0 code for the first calls of a session.
        /// </remarks>
        [MethodImpl((MethodImplOptions)512)]
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
