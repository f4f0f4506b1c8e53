using System;
using System.Collections.Generic;

namespace TcpClose
{
    /// <summary>What Test-TcpBind asks.</summary>
    public sealed class BindTestOptions
    {
        public string Address { get; set; } = "127.0.0.1";
        public int Port { get; set; }
        public bool ReuseAddress { get; set; }
        public bool ExclusiveAddressUse { get; set; }
    }

    /// <summary>The verdict of a real bind attempt (released at once) and what stands in the way.</summary>
    public sealed class BindTestResult
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
    }

    /// <summary>Would a listener bind now? (Test-TcpBind) and why not (the AddressInUse message).</summary>
    public static class BindDiagnosis
    {
        /// <summary>Try the bind for real with a listener's options, release it, and explain the verdict.</summary>
        public static BindTestResult Test(BindTestOptions options) => throw new NotImplementedException();
    }
}
