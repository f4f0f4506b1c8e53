using System;
using System.Collections.Generic;

namespace TcpClose
{
    /// <summary>The verdict of a real bind attempt (released at once) and what stands in the way.</summary>
    public sealed class BindTestResult : INetworkNamespaceBound
    {
        public string Address { get; internal set; }
        public int Port { get; internal set; }
        public bool ReuseAddress { get; internal set; }
        public bool ExclusiveAddressUse { get; internal set; }
        public bool CanBind { get; internal set; }
        /// <summary>The socket error name when the bind failed (AddressAlreadyInUse...), else null.</summary>
        public string Error { get; internal set; }
        public int? NativeErrorCode { get; internal set; }
        /// <summary>Rows on the port that hold it: listeners (with process where known) and TIME_WAIT rows.</summary>
        public IReadOnlyList<TcpTableEntry> BlockedBy { get; internal set; }
        public int TimeWaitCount { get; internal set; }
        /// <summary>Longest time left among the TIME_WAIT rows on the port, else null.</summary>
        public TimeSpan? LongestTimeWait { get; internal set; }
        /// <summary>What would help on this OS: an option, a wait, or stopping a process.</summary>
        public string Advice { get; internal set; }
        /// <summary>The network namespace this was tested in, when one was asked for: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }
    }
}
