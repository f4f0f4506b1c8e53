using System;
using System.Linq;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using TcpClose.Native;

namespace TcpClose
{
    /// <summary>
    /// Removes rows of the OS TCP table that this process need not own, as <c>ss -K</c> does: TIME_WAIT
    /// rows go at once, a connection is reset (its owner's next call fails with ECONNABORTED, the peer
    /// gets RST), a listener is closed. One instance holds one netlink socket for any number of rows.
    /// </summary>
    /// <remarks>
    /// Linux: netlink SOCK_DESTROY with the row's exact inet_diag_sockid (cookie included); needs
    /// CAP_NET_ADMIN and a kernel built with CONFIG_INET_DIAG_DESTROY. Rows without the kernel's id
    /// (read from /proc, deserialized, given by value) are first looked up by 4-tuple with an exact
    /// SOCK_DIAG_BY_FAMILY request (a hash lookup, not a dump), and must still be in the state they
    /// were seen in. Requests go to the kernel <see cref="BatchSize"/> to a datagram.
    /// Windows: SetTcpEntry(MIB_TCP_STATE_DELETE_TCB), elevated, IPv4 rows only.
    /// Elsewhere <see cref="Open()"/> throws PlatformNotSupported.
    /// Errors: PermissionDenied and RemoveNotSupported mean no row can be removed by this process on
    /// this machine: they are thrown (after the row that met them is reported). Anything else is per
    /// row: reported with the row's result, and the next row is tried.
    /// </remarks>
    public sealed class TcpRowRemoval : IDisposable
    {
        /// <summary>Requests per netlink datagram. Every request gets its own answer queued on our socket
        /// while the send runs; 64 answers stay far below the smallest receive buffer (rmem_default).</summary>
        public const int BatchSize = 64;

        static readonly bool s_linux = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
        static readonly bool s_windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        readonly NetlinkSocketHandle _netlink;
        readonly byte[] _send;
        readonly byte[] _receive;
        readonly InetDiagResponse _cursor = new InetDiagResponse { ReportAcks = true };
        uint _seq;

        readonly NetworkNamespace _namespace;

        TcpRowRemoval(NetlinkSocketHandle netlink, NetworkNamespace ns = null)
        {
            _netlink = netlink;
            _namespace = ns;
            if (netlink != null)
            {
                _send = new byte[BatchSize * InetDiagRequest.ExactLen];
                _receive = new byte[NetlinkTcpReader.BufferSize];
            }
        }

        /// <summary>Whether this OS has a way to remove rows at all (Linux, Windows).</summary>
        public static bool IsSupported => s_linux || s_windows;

        /// <summary>
        /// Whether this process may remove rows now, as far as can be told without trying: Linux,
        /// CAP_NET_ADMIN in the effective set; Windows, an elevated session. Used to offer removal in advice.
        /// </summary>
        public static bool IsPermitted => s_linux ? HasNetAdmin() : s_windows && WindowsTcpEntry.IsElevated();

        /// <summary>Ready to remove rows. PlatformNotSupported where the OS has no way; TcpTableUnavailable
        /// when the netlink socket is refused.</summary>
        public static TcpRowRemoval Open() => Open(null);

        /// <summary>As <see cref="Open()"/>, removing rows of a network namespace (null: the caller's own):
        /// SOCK_DESTROY acts in the namespace its netlink socket was made in.</summary>
        public static TcpRowRemoval Open(NetworkNamespace ns)
        {
            if (s_windows)
                return new TcpRowRemoval(null);
            if (!s_linux)
                throw new TcpCloseException(ErrorIds.PlatformNotSupported, TcpErrorCategory.NotImplemented,
                    $"Removing rows of the TCP table is not supported on {RuntimeInformation.OSDescription}: only Linux (netlink SOCK_DESTROY, as ss -K) and Windows (SetTcpEntry) offer it. Wait for TIME_WAIT rows to go with Wait-TcpTimeWait.",
                    RuntimeInformation.OSDescription);
            int fd = NetworkNamespace.RunIn(ns, LinuxNetlink.Open);
            if (fd < 0)
                throw new TcpCloseException(ErrorIds.TcpTableUnavailable, TcpErrorCategory.ResourceUnavailable,
                    $"The netlink NETLINK_SOCK_DIAG socket that removes rows was refused (errno {-fd}): netlink is not available to this process.",
                    TcpTableSource.Netlink, new Win32Exception(-fd));
            var handle = new NetlinkSocketHandle(fd);
            // Room for a batch of answers even where rmem_default is small (capped at rmem_max).
            LinuxNetlink.SetReceiveBuffer(fd, 1 << 20);
            return new TcpRowRemoval(handle, ns);
        }

        /// <summary>Removes one row. <paramref name="error"/> is set when the outcome is Failed and the
        /// next row may still be tried; PermissionDenied and RemoveNotSupported are thrown.</summary>
        public RemovalResult Remove(TcpRowKey row, out TcpCloseException error)
        {
            RemovalResult result = null;
            TcpCloseException e = null;
            Remove(new[] { row }, (r, x) =>
            {
                result = r;
                e = x;
            });
            error = e;
            return result;
        }

        /// <summary>
        /// Removes the rows in order, in batches; <paramref name="onResult"/> hears of each row in the
        /// order given, with the error when its outcome is Failed. A PermissionDenied or RemoveNotSupported
        /// error is thrown after <paramref name="onResult"/> has heard of its row (with a null error), and
        /// no later row is tried.
        /// </summary>
        public void Remove(IEnumerable<TcpRowKey> rows, Action<RemovalResult, TcpCloseException> onResult)
        {
            if (rows == null)
                throw new ArgumentNullException(nameof(rows));
            if (onResult == null)
                throw new ArgumentNullException(nameof(onResult));
            var batch = new List<TcpRowKey>(BatchSize);
            foreach (TcpRowKey row in rows)
            {
                if (row == null)
                    throw new ArgumentException("A row to remove is null.", nameof(rows));
                batch.Add(row);
                if (batch.Count == BatchSize)
                {
                    RemoveBatch(batch, onResult);
                    batch.Clear();
                }
            }
            if (batch.Count > 0)
                RemoveBatch(batch, onResult);
        }

        public void Dispose() => _netlink?.Dispose();

        /// <summary>What became of one row of a batch.</summary>
        struct Slot
        {
            internal SocketId Id;
            internal TcpState? State;
            internal bool Gone;
            /// <summary>Positive errno (Linux) or Win32 error (Windows); 0 when none.</summary>
            internal int Error;
            internal bool Answered;
        }

        void RemoveBatch(List<TcpRowKey> batch, Action<RemovalResult, TcpCloseException> onResult)
        {
            var slots = new Slot[batch.Count];
            if (_netlink != null)
                RemoveLinux(batch, slots);
            else
                RemoveWindows(batch, slots);

            for (int i = 0; i < batch.Count; i++)
            {
                TcpRowKey row = batch[i];
                Slot s = slots[i];
                if (s.Error == 0)
                {
                    RemovalResult result = Result(row, s, s.Gone ? RemovalOutcome.AlreadyGone : RemovalOutcome.Removed, null);
                    if (result.Removed && result.State == TcpState.Listen && _netlink != null)
                        DescribeRemovedListener(result, _namespace);
                    onResult(result, null);
                    continue;
                }
                TcpCloseException error = _netlink != null ? LinuxError(row, s.Error) : WindowsError(row, s.Error);
                bool fatal = error.ErrorId == ErrorIds.PermissionDenied || error.ErrorId == ErrorIds.RemoveNotSupported;
                onResult(Result(row, s, RemovalOutcome.Failed, error.ErrorId), fatal ? null : error);
                if (fatal)
                    throw error;
            }
        }

        /// <summary>
        /// SOCK_DESTROY stops a listener, but the socket stays open in its owner until closed; Linux
        /// releases the port then only when it was picked by the kernel (port 0). An explicitly bound
        /// one stays bound: the socket shows as Bound (state CLOSE in the bind walk, Linux 6.9+), and
        /// a new bind fails with EADDRINUSE until the owner closes it. Measured on Linux 6.18.
        /// </summary>
        static void DescribeRemovedListener(RemovalResult result, NetworkNamespace ns)
        {
            if (!LinuxTcpStates.ListsBoundSockets)
                return;
            TcpTableEntry bound;
            try
            {
                bound = TcpTable.Read(new TcpTableFilter
                {
                    States = new[] { TcpState.Bound },
                    LocalAddresses = new[] { result.LocalAddress },
                    LocalPorts = new[] { result.LocalPort },
                    NetworkNamespace = ns,
                }).FirstOrDefault();
            }
            catch (TcpCloseException)
            {
                return; // the removal stands; only what it leaves is unknown
            }
            result.PortReleased = bound == null;
            if (bound != null)
            {
                result.Note = $"Port {result.LocalPort} stays bound: {TcpTableEntry.Owner(bound)} still holds the socket, no longer listening. " +
                    "Linux keeps an explicitly bound port until its owner closes the socket or exits (a listener on port 0 gives its port back at once).";
            }
        }

        RemovalResult Result(TcpRowKey row, Slot s, RemovalOutcome outcome, string errorId) =>
            new RemovalResult(row.LocalAddress, row.LocalPort, row.RemoteAddress, row.RemotePort, s.State ?? row.State, outcome, errorId)
            { NetworkNamespace = NetworkNamespace.Tag(_namespace) };

        #region Linux

        void RemoveLinux(List<TcpRowKey> batch, Slot[] slots)
        {
            bool added = false;
            _netlink.DangerousAddRef(ref added);
            try
            {
                int fd = _netlink.Fd;
                // 1. Rows without the kernel's id: one exact lookup each, all in one datagram.
                int n = 0;
                uint first = NextSeqs(batch.Count);
                for (int i = 0; i < batch.Count; i++)
                {
                    TcpRowKey row = batch[i];
                    slots[i].State = row.State;
                    if (row.KernelId.IsKnown)
                    {
                        slots[i].Id = row.KernelId;
                        continue;
                    }
                    byte family = row.Local.IsV4 && row.Remote.IsV4 ? LinuxNetlink.AF_INET : LinuxNetlink.AF_INET6;
                    InetDiagRequest.BuildExact(_send, n * InetDiagRequest.ExactLen, LinuxNetlink.SOCK_DIAG_BY_FAMILY, family,
                        row.Local, row.LocalPort, row.Remote, row.RemotePort, 0, InetDiagRequest.NoCookie, first + (uint)i);
                    n++;
                }
                if (n > 0)
                    Exchange(fd, n * InetDiagRequest.ExactLen, first, slots, lookup: true, batch);

                // 2. SOCK_DESTROY for every row that has an id now, all in one datagram.
                n = 0;
                first = NextSeqs(batch.Count);
                for (int i = 0; i < batch.Count; i++)
                {
                    if (slots[i].Gone || slots[i].Error != 0)
                        continue;
                    slots[i].Answered = false;
                    TcpRowKey row = batch[i];
                    SocketId id = slots[i].Id;
                    InetDiagRequest.BuildExact(_send, n * InetDiagRequest.ExactLen, LinuxNetlink.SOCK_DESTROY, id.Family,
                        row.Local, row.LocalPort, row.Remote, row.RemotePort, id.Interface, id.Cookie, first + (uint)i);
                    n++;
                }
                if (n > 0)
                    Exchange(fd, n * InetDiagRequest.ExactLen, first, slots, lookup: false, batch);

                // 3. A listener of an SO_REUSEPORT group answers ENOENT when the kernel's lookup picked
                //    another member of the group: steer the lookup to the others before calling it gone.
                for (int i = 0; i < batch.Count; i++)
                {
                    if (slots[i].Gone && slots[i].State == TcpState.Listen && slots[i].Id.IsKnown)
                        RemoveGroupListener(fd, batch[i], ref slots[i]);
                }
            }
            finally
            {
                if (added)
                    _netlink.DangerousRelease();
            }
        }

        /// <summary>
        /// SOCK_DESTROY for one listener, retried with other remote ports in the request. For a listener
        /// the kernel's lookup (__inet_lookup_listener) picks a member of an SO_REUSEPORT group by a hash
        /// of the request's remote address and port; the cookie check then refuses any member but ours.
        /// The remote address stays 0.0.0.0/::, which no connection has, so only listeners can match.
        /// Then, if still refused, a dump of the port's listeners says whether ours is really gone.
        /// </summary>
        void RemoveGroupListener(int fd, TcpRowKey row, ref Slot slot)
        {
            var one = new Slot[1];
            var single = new List<TcpRowKey> { row };
            for (int remotePort = 1; remotePort <= 256; remotePort++)
            {
                one[0] = new Slot { Id = slot.Id, State = slot.State };
                uint seq = NextSeqs(1);
                InetDiagRequest.BuildExact(_send, 0, LinuxNetlink.SOCK_DESTROY, slot.Id.Family,
                    row.Local, row.LocalPort, row.Remote, remotePort, slot.Id.Interface, slot.Id.Cookie, seq);
                Exchange(fd, InetDiagRequest.ExactLen, seq, one, lookup: false, single);
                if (!one[0].Gone)
                {
                    slot = one[0]; // removed, or a real error (EPERM...)
                    return;
                }
            }
            var warnings = new TcpTableWarnings(null);
            foreach (RawTcpRow r in NetlinkTcpReader.Read(1u << LinuxTcpStates.Listen, row.LocalPort, 0, null, warnings))
            {
                if (r.Id.Cookie == slot.Id.Cookie)
                {
                    slot.Gone = false;
                    slot.Error = LinuxNetlink.ENOENT; // still there, but out of the lookup's reach
                }
            }
        }

        uint NextSeqs(int count)
        {
            uint first = _seq + 1;
            if (first == 0 || first + (uint)count < first)
                first = 1; // wrapped: sequence numbers only need to be unique within one exchange
            _seq = first + (uint)count;
            return first;
        }

        /// <summary>
        /// Sends the datagram and reads one answer per request. The kernel queued every answer before
        /// sendto returned, so the queue is read without blocking: a request still unanswered when it is
        /// empty lost its answer (receive buffer overrun) and is reported as failed with ENOBUFS.
        /// </summary>
        void Exchange(int fd, int length, uint firstSeq, Slot[] slots, bool lookup, List<TcpRowKey> batch)
        {
            int expected = length / InetDiagRequest.ExactLen;
            int err = LinuxNetlink.Send(fd, _send, length);
            int answered = 0;
            if (err == 0)
            {
                while (answered < expected)
                {
                    int got = LinuxNetlink.Receive(fd, _receive, LinuxNetlink.MSG_DONTWAIT);
                    if (got < 0 && -got == LinuxNetlink.ENOBUFS)
                        continue; // the overrun is reported once; what is still queued is read on
                    if (got <= 0)
                        break;
                    _cursor.Reset(_receive, got);
                    while (true)
                    {
                        NetlinkItem item = _cursor.Next(out RawTcpRow found);
                        if (item == NetlinkItem.End || item == NetlinkItem.Done)
                            break;
                        long index = (long)_cursor.Seq - firstSeq;
                        if (index < 0 || index >= slots.Length || slots[index].Answered || item == NetlinkItem.Skipped && !lookup)
                            continue;
                        ref Slot s = ref slots[index];
                        s.Answered = true;
                        answered++;
                        if (item == NetlinkItem.Error)
                        {
                            if (_cursor.Errno == LinuxNetlink.ENOENT)
                                s.Gone = true;
                            else
                                s.Error = _cursor.Errno;
                        }
                        else if (item == NetlinkItem.Row && lookup)
                        {
                            if (Matches(batch[(int)index], ref found))
                            {
                                s.Id = found.Id;
                                s.State = found.State;
                            }
                            else
                                s.Gone = true; // another socket took the 4-tuple: the row asked for is gone
                        }
                        else if (item == NetlinkItem.Skipped)
                            s.Error = LinuxNetlink.EIO;
                        // Ack: done.
                    }
                }
            }
            for (int i = 0; i < slots.Length; i++)
            {
                ref Slot s = ref slots[i];
                bool asked = lookup ? !batch[i].KernelId.IsKnown : !s.Gone && s.Error == 0;
                if (asked && !s.Answered)
                    s.Error = err != 0 ? err : LinuxNetlink.ENOBUFS;
            }
        }

        /// <summary>Whether the socket the lookup found is the row asked for: same state class and inode.</summary>
        static bool Matches(TcpRowKey row, ref RawTcpRow found)
        {
            if (row.Inode.HasValue && row.Inode.Value > 0 && found.Inode != row.Inode.Value)
                return false;
            if (!row.State.HasValue || row.State.Value == TcpState.Unknown)
                return true;
            TcpState want = row.State.Value;
            // A connection moves on (Established -> CloseWait...) and is still the same socket; a
            // TIME_WAIT or listening row is only ever that same kind of socket.
            if (want == TcpState.TimeWait || want == TcpState.Listen)
                return found.State == want;
            return found.State != TcpState.TimeWait && found.State != TcpState.Listen;
        }

        static TcpCloseException LinuxError(TcpRowKey row, int errno)
        {
            var inner = new Win32Exception(errno);
            switch (errno)
            {
                case LinuxNetlink.EPERM:
                    return new TcpCloseException(ErrorIds.PermissionDenied, TcpErrorCategory.PermissionDenied,
                        $"Cannot remove {row}: removing a socket this process does not own needs root or CAP_NET_ADMIN (the kernel answered SOCK_DESTROY with EPERM). Run as root (sudo), or give the process CAP_NET_ADMIN.",
                        row.Row ?? row, inner);
                case LinuxNetlink.EOPNOTSUPP:
                    return new TcpCloseException(ErrorIds.RemoveNotSupported, TcpErrorCategory.NotImplemented,
                        $"Cannot remove {row}: this kernel was built without CONFIG_INET_DIAG_DESTROY, so it cannot destroy sockets (SOCK_DESTROY answered EOPNOTSUPP; ss -K fails the same way). Wait for TIME_WAIT rows to go (Wait-TcpTimeWait), or stop the process that owns the connection.",
                        row.Row ?? row, inner);
                case LinuxNetlink.ENOENT:
                    return new TcpCloseException(ErrorIds.RemoveFailed, TcpErrorCategory.ResourceUnavailable,
                        $"Cannot remove {row}: it is one of several listeners sharing the port through SO_REUSEPORT, and the kernel's lookup kept finding the others. Remove the others first, or stop the process.",
                        row.Row ?? row, inner);
                case LinuxNetlink.ENOBUFS:
                    return new TcpCloseException(ErrorIds.RemoveFailed, TcpErrorCategory.ResourceUnavailable,
                        $"Cannot tell whether {row} was removed: the kernel's answer was lost (netlink receive buffer overrun). Look with Get-TcpConnection and try again.",
                        row.Row ?? row, inner);
                default:
                    return new TcpCloseException(ErrorIds.RemoveFailed, TcpErrorCategory.InvalidOperation,
                        $"Cannot remove {row}: the kernel answered errno {errno} ({inner.Message}).", row.Row ?? row, inner);
            }
        }

        /// <summary>CAP_NET_ADMIN (bit 12) in CapEff of the calling thread (credentials are per thread;
        /// the kernel checks the thread that sends), /proc/self before Linux 3.17.</summary>
        static bool HasNetAdmin()
        {
            try
            {
                string path = Directory.Exists("/proc/thread-self") ? "/proc/thread-self/status" : "/proc/self/status";
                foreach (string line in File.ReadLines(path))
                {
                    if (!line.StartsWith("CapEff:", StringComparison.Ordinal))
                        continue;
                    ulong caps = Convert.ToUInt64(line.Substring(7).Trim(), 16);
                    return (caps & (1UL << 12)) != 0;
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException || e is OverflowException)
            {
            }
            return false;
        }

        #endregion

        #region Windows

        /// <summary>Error code for "SetTcpEntry said yes but the row is still there".</summary>
        const int StillThere = -2;

        void RemoveWindows(List<TcpRowKey> batch, Slot[] slots)
        {
            var answers = new int[batch.Count];
            // A row not in the table before the call is AlreadyGone: SetTcpEntry is not asked about it.
            HashSet<(IPKey, int, IPKey, int)> before = IPv4Table();
            for (int i = 0; i < batch.Count; i++)
            {
                TcpRowKey row = batch[i];
                slots[i].State = row.State;
                if (!row.Local.IsV4 || !row.Remote.IsV4)
                {
                    slots[i].Error = -1; // IPv6: no API
                    continue;
                }
                if (before != null && !before.Contains((row.Local, row.LocalPort, row.Remote, row.RemotePort)))
                {
                    slots[i].Gone = true;
                    continue;
                }
                answers[i] = WindowsTcpEntry.DeleteTcb((uint)row.Local.Lo, row.LocalPort, (uint)row.Remote.Lo, row.RemotePort);
            }

            // One look at the table afterwards for the whole batch: a failure on a row that is no longer
            // there is AlreadyGone (Windows has no "no such row" answer of its own), and a success on a
            // row still there is not believed (Wine's SetTcpEntry is a stub that answers 0).
            HashSet<(IPKey, int, IPKey, int)> table = IPv4Table();
            for (int i = 0; i < batch.Count; i++)
            {
                if (slots[i].Error != 0 || slots[i].Gone)
                    continue;
                TcpRowKey row = batch[i];
                bool present = table == null ? answers[i] != 0 : table.Contains((row.Local, row.LocalPort, row.Remote, row.RemotePort));
                if (answers[i] == 0)
                    slots[i].Error = present ? StillThere : 0;
                else if (!present)
                    slots[i].Gone = true;
                else
                    slots[i].Error = answers[i];
            }
        }

        /// <summary>The 4-tuples of the IPv4 table now, or null when it cannot be read.</summary>
        static HashSet<(IPKey, int, IPKey, int)> IPv4Table()
        {
            try
            {
                byte[] table = WindowsTcpTable.Snapshot(WindowsTcpTable.AF_INET);
                int n = WindowsTcpTable.RowCount(table, false);
                var set = new HashSet<(IPKey, int, IPKey, int)>();
                for (int i = 0; i < n; i++)
                {
                    if (!WindowsTcpTable.TryParseRow(table, i, false, out RawTcpRow r))
                        break;
                    set.Add((r.Local, r.LocalPort, r.Remote, r.RemotePort));
                }
                return set;
            }
            catch (Exception e) when (e is TcpSourceRefusedException || e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                return null; // cannot tell: take SetTcpEntry's answers as they came
            }
        }

        static TcpCloseException WindowsError(TcpRowKey row, int code)
        {
            if (code == -1)
                return new TcpCloseException(ErrorIds.RemoveIPv6NotSupported, TcpErrorCategory.NotImplemented,
                    $"Cannot remove {row}: Windows has no call that removes an IPv6 connection (SetTcpEntry takes IPv4 rows only). Close it in the process that owns it, or stop that process.",
                    row.Row ?? row);
            if (code == StillThere)
                return new TcpCloseException(ErrorIds.RemoveFailed, TcpErrorCategory.InvalidOperation,
                    $"Cannot remove {row}: SetTcpEntry answered success but the row is still in the TCP table (Wine's SetTcpEntry does nothing; on Windows, the state may not be one it can delete).",
                    row.Row ?? row);
            var inner = new Win32Exception(code);
            if (code == WindowsTcpEntry.ERROR_MR_MID_NOT_FOUND || code == WindowsTcpEntry.ERROR_ACCESS_DENIED)
                return new TcpCloseException(ErrorIds.PermissionDenied, TcpErrorCategory.PermissionDenied,
                    $"Cannot remove {row}: SetTcpEntry needs an elevated session (it answered error {code}). Run PowerShell as Administrator.",
                    row.Row ?? row, inner);
            if (code == WindowsTcpEntry.ERROR_NOT_SUPPORTED)
                return new TcpCloseException(ErrorIds.RemoveNotSupported, TcpErrorCategory.NotImplemented,
                    $"Cannot remove {row}: SetTcpEntry is not supported here (error {code}).", row.Row ?? row, inner);
            return new TcpCloseException(ErrorIds.RemoveFailed, TcpErrorCategory.InvalidOperation,
                $"Cannot remove {row}: SetTcpEntry answered error {code} ({inner.Message}).", row.Row ?? row, inner);
        }

        #endregion
    }
}
