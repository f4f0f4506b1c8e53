using System;

namespace TcpClose
{
    /// <summary>Counts and forwards what a reader skipped (malformed rows), so the caller can see it.</summary>
    internal sealed class TcpTableWarnings
    {
        readonly Action<string> _sink;

        internal TcpTableWarnings(Action<string> sink) => _sink = sink;

        internal int Count { get; private set; }
        internal string Last { get; private set; }

        internal void Add(string message)
        {
            if (message == null)
                return;
            Count++;
            Last = message;
            // Past a few hundred the same complaint adds nothing; the count still grows.
            if (Count <= 100)
                _sink?.Invoke(message);
        }
    }

    /// <summary>The OS refused the source before any row was read; the caller may fall back.</summary>
    internal sealed class TcpSourceRefusedException : Exception
    {
        internal TcpSourceRefusedException(string message, int errno) : base(message) => Errno = errno;

        internal int Errno { get; }
    }
}
