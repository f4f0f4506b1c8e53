using System;
using System.Collections.Generic;

namespace TcpClose
{
    /// <summary>
    /// The OS's TCP table, every process. Rows stream out as they are read (constant memory in the
    /// table size); the best source for the OS is chosen unless one is named.
    /// </summary>
    public static class TcpTable
    {
        /// <summary>The source <see cref="Read(TcpTableFilter)"/> uses on this OS.</summary>
        public static TcpTableSource DefaultSource => throw new NotImplementedException();

        /// <summary>Rows matching the filter. Throws TcpCloseException(TcpTableUnavailable) when no source works.</summary>
        public static IEnumerable<TcpTableEntry> Read(TcpTableFilter filter) => throw new NotImplementedException();

        /// <summary>Rows from one named source; PlatformNotSupported when that source does not exist here.</summary>
        public static IEnumerable<TcpTableEntry> Read(TcpTableFilter filter, TcpTableSource source) => throw new NotImplementedException();

        /// <summary>The TIME_WAIT rows matching the filter (its States are ignored), with time left.</summary>
        public static IEnumerable<TimeWaitEntry> ReadTimeWait(TcpTableFilter filter) => throw new NotImplementedException();
    }
}
