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

        /// <summary>Where to read: null for the OS's best source (falling back when it is refused), else only this one.</summary>
        public TcpTableSource? Source { get; set; }

        /// <summary>
        /// The Linux network namespace to read (null: the caller's own). Rows read there carry its
        /// name, or net:[INODE], as NetworkNamespace. Only the Linux sources can read another one.
        /// </summary>
        public NetworkNamespace NetworkNamespace { get; set; }

        /// <summary>Hears of rows skipped as malformed and of a fall-back to another source (a cmdlet's WriteWarning).</summary>
        public System.Action<string> OnWarning { get; set; }

        /// <summary>A copy of this filter that reads from <paramref name="source"/> only.</summary>
        public TcpTableFilter From(TcpTableSource source)
        {
            var copy = (TcpTableFilter)MemberwiseClone();
            copy.Source = source;
            return copy;
        }

        /// <summary>
        /// The filters every table cmdlet takes (-State, -LocalAddress, -LocalPort, -RemoteAddress,
        /// -RemotePort, -OwningProcess), as given: one mapping for all of them.
        /// </summary>
        public static TcpTableFilter For(IReadOnlyList<TcpState> states, IReadOnlyList<string> localAddresses, IReadOnlyList<int> localPorts,
            IReadOnlyList<string> remoteAddresses, IReadOnlyList<int> remotePorts, IReadOnlyList<int> owningProcesses) => new TcpTableFilter
            {
                States = states,
                LocalAddresses = localAddresses,
                LocalPorts = localPorts,
                RemoteAddresses = remoteAddresses,
                RemotePorts = remotePorts,
                OwningProcesses = owningProcesses,
            };
    }
}
