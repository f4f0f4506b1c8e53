using System;

namespace TcpClose
{
    public sealed class ReceiveResult
    {
        public int ConnectionId { get; internal set; }
        public int Count => Data?.Length ?? 0;
        public byte[] Data { get; internal set; }
        /// <summary>Data decoded with the encoding asked for.</summary>
        public string Text { get; internal set; }
        /// <summary>The peer's FIN was read (end of stream).</summary>
        public bool EndOfStream { get; internal set; }
        /// <summary>The peer reset the connection (ECONNRESET).</summary>
        public bool Reset { get; internal set; }
        /// <summary>The timeout passed before the read condition was met.</summary>
        public bool TimedOut { get; internal set; }
        public TimeSpan Elapsed { get; internal set; }
    }
}
