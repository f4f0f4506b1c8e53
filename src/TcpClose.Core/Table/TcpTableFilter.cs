using System.Collections.Generic;

namespace TcpClose
{
    /// <summary>
    /// What rows to read. Every null or empty list means "any"; a row must match one value of every
    /// list given. Readers push what they can into the kernel (Linux: state set and ports).
    /// </summary>
    public sealed class TcpTableFilter
    {
        public IReadOnlyList<TcpState> States { get; set; }
        /// <summary>Address text in any form IPAddress.Parse accepts; compared in canonical form.</summary>
        public IReadOnlyList<string> LocalAddresses { get; set; }
        public IReadOnlyList<int> LocalPorts { get; set; }
        public IReadOnlyList<string> RemoteAddresses { get; set; }
        public IReadOnlyList<int> RemotePorts { get; set; }
        public IReadOnlyList<int> OwningProcesses { get; set; }
        /// <summary>
        /// Resolve OwningProcess/ProcessName for every row (costly on Linux: a walk of /proc/*/fd).
        /// Listen and Bound rows are always resolved; this forces all rows. Implied by <see cref="OwningProcesses"/>.
        /// </summary>
        public bool ResolveAllOwners { get; set; }
    }
}
