using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace TcpClose
{
    /// <summary>
    /// The TIME_WAIT rows of one read as <see cref="TimeWaitEntry"/> objects, streamed: each
    /// enumeration reads the table afresh and holds one batch of raw rows at a time.
    /// </summary>
    /// <remarks>
    /// Written out by hand rather than as an iterator so that the once-per-row step (match, format
    /// through the address cache, allocate the entry) is one method compiled optimized from the first
    /// call (<see cref="Jit.Hot"/>); a compiler-generated MoveNext would start as tier-0 code.
    /// </remarks>
    internal sealed class TimeWaitReading : IEnumerable<TimeWaitEntry>
    {
        readonly TcpTableQuery _query;
        readonly Func<IEnumerable<RowBatch>> _batches;

        internal TimeWaitReading(TcpTableQuery query, Func<IEnumerable<RowBatch>> batches)
        {
            _query = query;
            _batches = batches;
        }

        public IEnumerator<TimeWaitEntry> GetEnumerator() => new Enumerator(_query, _batches().GetEnumerator());

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        sealed class Enumerator : IEnumerator<TimeWaitEntry>
        {
            readonly TcpTableQuery _query;
            readonly IEnumerator<RowBatch> _batches;
            readonly AddressTextCache _names = new AddressTextCache();
            RowBatch _batch;
            int _next;

            internal Enumerator(TcpTableQuery query, IEnumerator<RowBatch> batches)
            {
                _query = query;
                _batches = batches;
            }

            public TimeWaitEntry Current { get; private set; }

            object IEnumerator.Current => Current;

            [MethodImpl(Jit.Hot)]
            public bool MoveNext()
            {
                while (true)
                {
                    RowBatch b = _batch;
                    if (b != null)
                    {
                        RawTcpRow[] rows = b.Rows;
                        while (_next < b.Count)
                        {
                            ref RawTcpRow r = ref rows[_next++];
                            if (!_query.Matches(ref r))
                                continue;
                            long ms = r.TimerMs >= 0 ? r.TimerMs : 0;
                            Current = new TimeWaitEntry(_names.Get(r.Local), r.LocalPort, _names.Get(r.Remote), r.RemotePort,
                                new TimeSpan(ms * TimeSpan.TicksPerMillisecond), b.ObservedAt, r.TimerEstimated, b.Source) { KernelId = r.Id, NetworkNamespace = _query.NamespaceTag };
                            return true;
                        }
                    }
                    if (!_batches.MoveNext())
                    {
                        _batch = null;
                        Current = null;
                        return false;
                    }
                    _batch = _batches.Current;
                    _next = 0;
                }
            }

            public void Reset() => throw new NotSupportedException();

            public void Dispose() => _batches.Dispose();
        }
    }
}
