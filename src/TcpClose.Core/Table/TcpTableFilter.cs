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
        /// <summary>
        /// Only rows these processes hold. On Linux only their descriptors are read (never the
        /// host's); every other row's owner is found when first asked for (see SocketOwners).
        /// </summary>
        public IReadOnlyList<int> OwningProcesses { get; set; }
    }
}
