using System;

namespace TcpClose
{
    public sealed class SendResult
    {
        public int ConnectionId { get; internal set; }
        public long BytesRequested { get; internal set; }
        public long BytesSent { get; internal set; }
        /// <summary>The peer did not take all the data before the timeout (its window is full).</summary>
        public bool TimedOut { get; internal set; }
        public TimeSpan Elapsed { get; internal set; }
    }
}
