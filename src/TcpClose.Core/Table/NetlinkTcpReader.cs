using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>Streams the Linux TCP table through NETLINK_SOCK_DIAG, filtered by state and port in the kernel.</summary>
    internal static class NetlinkTcpReader
    {
        /// <summary>The receive buffer; the kernel's dump datagrams are at most 32 KiB.</summary>
        internal const int BufferSize = 64 * 1024;

        /// <summary>Rows per batch: a 32 KiB datagram of 88-byte messages holds at most 372.</summary>
        const int BatchRows = 512;

        static int s_seq;
        static Buffers s_spare;

        /// <summary>The receive buffer and the row batch of one read, kept for the next read so that
        /// polling (Wait-TcpTimeWait) allocates nothing big.</summary>
        sealed class Buffers
        {
            internal readonly byte[] Receive = new byte[BufferSize];
            internal readonly RowBatch Batch = new RowBatch(BatchRows);
        }

        /// <summary>How one dump ended.</summary>
        sealed class DumpStatus
        {
            internal int Errno;
            internal bool Rows;
        }

        /// <summary>
        /// Rows for AF_INET and AF_INET6. Throws <see cref="TcpSourceRefusedException"/> when the socket
        /// cannot be opened or the dump is refused, before any row is returned; a failure later is a
        /// TcpCloseException(TcpTableUnavailable).
        /// </summary>
        internal static IEnumerable<RawTcpRow> Read(uint states, byte[] portBytecode, TcpTableWarnings warnings) =>
            Read(states, 0, 0, portBytecode, warnings);

        /// <summary>As above, with a single local/remote port (0 = any) passed in the request's sockid.</summary>
        /// <remarks>
        /// First one TCPDIAG_GETSOCK (compat) dump, which covers both families in one walk of the kernel's
        /// hashes; the walk is the whole cost of a selective query, since the established hash has no port
        /// index. If a kernel refuses it, one SOCK_DIAG_BY_FAMILY dump per family instead.
        /// </remarks>
        internal static IEnumerable<RawTcpRow> Read(uint states, int sport, int dport, byte[] portBytecode, TcpTableWarnings warnings) =>
            Read(states, sport, dport, portBytecode, warnings, true);

        /// <summary>As above; <paramref name="compat"/> false goes straight to the per-family dumps (tests cover both).</summary>
        internal static IEnumerable<RawTcpRow> Read(uint states, int sport, int dport, byte[] portBytecode, TcpTableWarnings warnings, bool compat)
        {
            foreach (RowBatch batch in ReadBatches(states, sport, dport, portBytecode, warnings, compat))
                for (int i = 0; i < batch.Count; i++)
                    yield return batch.Rows[i];
        }

        /// <summary>As <see cref="Read(uint, int, int, byte[], TcpTableWarnings, bool)"/>, one batch per datagram.
        /// The batch is refilled by the next MoveNext.</summary>
        internal static IEnumerable<RowBatch> ReadBatches(uint states, int sport, int dport, byte[] portBytecode, TcpTableWarnings warnings, bool compat,
            NetworkNamespace ns = null)
        {
            if (states == 0)
                yield break;
            // A netlink socket answers for the namespace it was created in, whatever thread reads it.
            int fd = NetworkNamespace.RunIn(ns, LinuxNetlink.Open);
            if (fd < 0)
                throw new TcpSourceRefusedException($"netlink NETLINK_SOCK_DIAG socket refused (errno {-fd})", -fd);
            var sock = new NetlinkSocketHandle(fd);
            Buffers buffer = System.Threading.Interlocked.Exchange(ref s_spare, null) ?? new Buffers();
            try
            {
                DumpStatus status;
                uint seq;
                if (compat)
                {
                    status = new DumpStatus();
                    seq = NextSeq();
                    foreach (RowBatch batch in Dump(fd, InetDiagRequest.BuildCompat(states, sport, dport, portBytecode, seq), seq, buffer, warnings, status))
                        yield return batch;
                    if (status.Errno == 0)
                        yield break;
                    if (status.Rows)
                        Fail(true, $"netlink inet_diag dump failed part way (errno {status.Errno})", status.Errno);
                    warnings.Add($"netlink: the TCPDIAG_GETSOCK dump was refused (errno {status.Errno}); dumping per address family instead.");
                }

                bool any = false;
                foreach (byte family in new[] { LinuxNetlink.AF_INET, LinuxNetlink.AF_INET6 })
                {
                    status = new DumpStatus();
                    seq = NextSeq();
                    foreach (RowBatch batch in Dump(fd, InetDiagRequest.Build(family, states, sport, dport, portBytecode, seq), seq, buffer, warnings, status))
                        yield return batch;
                    any |= status.Rows;
                    // ENOENT: no inet_diag handler for this family (IPv6 compiled out): no rows.
                    if (status.Errno == 2 && family == LinuxNetlink.AF_INET6 && !status.Rows)
                        continue;
                    if (status.Errno != 0)
                        Fail(any, $"netlink inet_diag dump failed (errno {status.Errno})", status.Errno);
                }
            }
            finally
            {
                s_spare = buffer;
                sock.Dispose();
            }
        }

        /// <summary>Sends one dump request and streams its rows, a datagram at a time, until NLMSG_DONE;
        /// an error ends it with status.Errno set.</summary>
        static IEnumerable<RowBatch> Dump(int fd, byte[] request, uint seq, Buffers buffers, TcpTableWarnings warnings, DumpStatus status)
        {
            int err = LinuxNetlink.Send(fd, request);
            if (err != 0)
            {
                status.Errno = err;
                yield break;
            }
            var cursor = new InetDiagResponse { ExpectedSeq = seq };
            RowBatch batch = buffers.Batch;
            while (true)
            {
                int n = LinuxNetlink.Receive(fd, buffers.Receive);
                if (n <= 0)
                {
                    // EAGAIN after SO_RCVTIMEO, or a socket that ended: the dump cannot finish.
                    status.Errno = n < 0 ? -n : LinuxNetlink.EIO;
                    yield break;
                }
                batch.ObservedAt = DateTime.UtcNow;
                cursor.Reset(buffers.Receive, n);
                NetlinkItem last = Parse(cursor, batch, warnings);
                if (batch.Count > 0)
                {
                    status.Rows = true;
                    yield return batch;
                }
                if (last == NetlinkItem.Done)
                    yield break;
                if (last == NetlinkItem.Error)
                {
                    status.Errno = cursor.Errno;
                    yield break;
                }
            }
        }

        /// <summary>The rows of one datagram into the batch; returns what ended it: Done, Error or End (more datagrams follow).</summary>
        [MethodImpl(Jit.Hot)]
        static NetlinkItem Parse(InetDiagResponse cursor, RowBatch batch, TcpTableWarnings warnings)
        {
            batch.Count = 0;
            while (true)
            {
                batch.EnsureRoom();
                NetlinkItem item = cursor.Next(out batch.Rows[batch.Count]);
                if (item == NetlinkItem.Row)
                    batch.Count++;
                else if (item == NetlinkItem.Skipped)
                    warnings.Add(cursor.Warning);
                else
                {
                    if (item == NetlinkItem.End)
                        warnings.Add(cursor.Warning); // null unless the datagram's tail was malformed
                    return item;
                }
            }
        }

        static uint NextSeq()
        {
            uint seq = (uint)System.Threading.Interlocked.Increment(ref s_seq);
            return seq != 0 ? seq : (uint)System.Threading.Interlocked.Increment(ref s_seq);
        }

        static void Fail(bool rowsReturned, string message, int errno)
        {
            if (!rowsReturned)
                throw new TcpSourceRefusedException(message, errno);
            throw new TcpCloseException(ErrorIds.TcpTableUnavailable, TcpErrorCategory.ResourceUnavailable,
                "Reading the TCP table through netlink failed part way: " + message, TcpTableSource.Netlink);
        }
    }
}
