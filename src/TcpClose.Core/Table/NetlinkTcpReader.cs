using System;
using System.Collections.Generic;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>Streams the Linux TCP table through NETLINK_SOCK_DIAG, filtered by state and port in the kernel.</summary>
    internal static class NetlinkTcpReader
    {
        /// <summary>The receive buffer; the kernel's dump datagrams are at most 32 KiB.</summary>
        internal const int BufferSize = 64 * 1024;

        static int s_seq;
        static byte[] s_spareBuffer;

        /// <summary>
        /// Rows for AF_INET then AF_INET6. Throws <see cref="TcpSourceRefusedException"/> when the
        /// socket cannot be opened or the first dump is refused, before any row is returned; a failure
        /// later is a TcpCloseException(TcpTableUnavailable).
        /// </summary>
        internal static IEnumerable<RawTcpRow> Read(uint states, byte[] portBytecode, TcpTableWarnings warnings) =>
            Read(states, 0, 0, portBytecode, warnings);

        /// <summary>As above, with a single local/remote port (0 = any) passed in the request's sockid.</summary>
        /// <remarks>
        /// One socket per family. The kernel fills the first reply datagram inside sendto() (netlink_dump_start),
        /// and for a selective query that is the whole walk of the established hash; so on a multi-core
        /// machine the AF_INET6 request is sent from a second thread while the AF_INET rows stream here.
        /// Memory stays bounded: the kernel stops at one datagram until we recv.
        /// </remarks>
        internal static IEnumerable<RawTcpRow> Read(uint states, int sport, int dport, byte[] portBytecode, TcpTableWarnings warnings)
        {
            if (states == 0)
                yield break;
            var sock4 = OpenSocket();
            NetlinkSocketHandle sock6;
            try
            {
                sock6 = OpenSocket();
            }
            catch
            {
                sock4.Dispose();
                throw;
            }
            int fd4 = sock4.Fd, fd6 = sock6.Fd;
            uint seq4 = NextSeq(), seq6 = NextSeq();
            byte[] req6 = InetDiagRequest.Build(LinuxNetlink.AF_INET6, states, sport, dport, portBytecode, seq6);
            // A dedicated thread, not the pool: the reader blocks on it, and a starved pool (test
            // runners, busy hosts) would turn that block into seconds. Only for port-filtered reads,
            // where the kernel's walk is the whole cost; a full read is bound by parsing here.
            int err6 = 0;
            System.Threading.Thread send6 = null;
            if (Environment.ProcessorCount > 1 && (sport != 0 || dport != 0 || portBytecode != null))
            {
                send6 = new System.Threading.Thread(() => err6 = LinuxNetlink.Send(fd6, req6)) { IsBackground = true, Name = "inet_diag AF_INET6 request" };
                send6.Start();
            }
            byte[] spare = null;
            try
            {
                var buffer = System.Threading.Interlocked.Exchange(ref s_spareBuffer, null) ?? new byte[BufferSize];
                spare = buffer;
                var cursor = new InetDiagResponse();
                bool any = false;
                foreach (byte family in new[] { LinuxNetlink.AF_INET, LinuxNetlink.AF_INET6 })
                {
                    int fd = family == LinuxNetlink.AF_INET ? fd4 : fd6;
                    uint seq = family == LinuxNetlink.AF_INET ? seq4 : seq6;
                    int err;
                    if (family == LinuxNetlink.AF_INET)
                        err = LinuxNetlink.Send(fd, InetDiagRequest.Build(family, states, sport, dport, portBytecode, seq));
                    else
                    {
                        if (send6 != null)
                        {
                            send6.Join();
                            err = err6;
                        }
                        else
                            err = LinuxNetlink.Send(fd, req6);
                    }
                    if (err != 0)
                        Fail(any, $"netlink sendto failed (errno {err})", err);
                    cursor.ExpectedSeq = seq;
                    bool done = false;
                    while (!done)
                    {
                        int n = LinuxNetlink.Receive(fd, buffer);
                        if (n < 0)
                            Fail(any, $"netlink recv failed (errno {-n})", -n);
                        if (n == 0)
                            Fail(any, "netlink socket returned end of file before NLMSG_DONE", 0);
                        cursor.Reset(buffer, n);
                        while (true)
                        {
                            NetlinkItem item = cursor.Next(out RawTcpRow row);
                            if (item == NetlinkItem.Row)
                            {
                                any = true;
                                yield return row;
                            }
                            else if (item == NetlinkItem.Skipped)
                                warnings.Add(cursor.Warning);
                            else if (item == NetlinkItem.Done)
                            {
                                done = true;
                                break;
                            }
                            else if (item == NetlinkItem.Error)
                            {
                                // ENOENT: no inet_diag handler for this family (IPv6 compiled out): no rows.
                                if (cursor.Errno == 2 && family == LinuxNetlink.AF_INET6)
                                {
                                    done = true;
                                    break;
                                }
                                Fail(any, $"netlink inet_diag dump failed (errno {cursor.Errno})", cursor.Errno);
                            }
                            else
                            {
                                warnings.Add(cursor.Warning);
                                break;
                            }
                        }
                    }
                }
            }
            finally
            {
                // The sending thread may still be in sendto on fd6: closing under it could hit a reused fd.
                send6?.Join();
                if (spare != null)
                    s_spareBuffer = spare; // one buffer kept for the next read: polling (Wait-TcpTimeWait) allocates nothing big
                sock4.Dispose();
                sock6.Dispose();
            }
        }

        static NetlinkSocketHandle OpenSocket()
        {
            int fd = LinuxNetlink.Open();
            if (fd < 0)
                throw new TcpSourceRefusedException($"netlink NETLINK_SOCK_DIAG socket refused (errno {-fd})", -fd);
            return new NetlinkSocketHandle(fd);
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
