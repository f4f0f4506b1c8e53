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

        /// <summary>
        /// Rows for AF_INET then AF_INET6. Throws <see cref="TcpSourceRefusedException"/> when the
        /// socket cannot be opened or the first dump is refused, before any row is returned; a failure
        /// later is a TcpCloseException(TcpTableUnavailable).
        /// </summary>
        internal static IEnumerable<RawTcpRow> Read(uint states, byte[] portBytecode, TcpTableWarnings warnings)
        {
            if (states == 0)
                yield break;
            int fd = LinuxNetlink.Open();
            if (fd < 0)
                throw new TcpSourceRefusedException($"netlink NETLINK_SOCK_DIAG socket refused (errno {-fd})", -fd);
            try
            {
                var buffer = new byte[BufferSize];
                var cursor = new InetDiagResponse();
                bool any = false;
                foreach (byte family in new[] { LinuxNetlink.AF_INET, LinuxNetlink.AF_INET6 })
                {
                    uint seq = (uint)System.Threading.Interlocked.Increment(ref s_seq);
                    if (seq == 0)
                        seq = (uint)System.Threading.Interlocked.Increment(ref s_seq);
                    int err = LinuxNetlink.Send(fd, InetDiagRequest.Build(family, states, portBytecode, seq));
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
                LinuxNetlink.close(fd);
            }
        }

        static void Fail(bool rowsReturned, string message, int errno)
        {
            if (!rowsReturned)
                throw new TcpSourceRefusedException(message, errno);
            throw new TcpCloseException(ErrorIds.TcpTableUnavailable, TcpErrorCategory.ReadError,
                "Reading the TCP table through netlink failed part way: " + message, TcpTableSource.Netlink);
        }
    }
}
