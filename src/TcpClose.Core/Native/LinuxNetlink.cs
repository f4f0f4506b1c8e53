using System;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>
    /// The libc calls and kernel constants for a NETLINK_SOCK_DIAG socket (what ss uses to read the
    /// TCP table). Layouts are those of include/uapi/linux/netlink.h, sock_diag.h and inet_diag.h.
    /// </summary>
    /// <summary>A netlink socket fd, closed by the finalizer if a reader is abandoned without Dispose.</summary>
    internal sealed class NetlinkSocketHandle : SafeHandle
    {
        internal NetlinkSocketHandle(int fd) : base(new IntPtr(-1), true) => SetHandle(new IntPtr(fd));

        public override bool IsInvalid => handle.ToInt64() < 0;

        internal int Fd => (int)handle.ToInt64();

        protected override bool ReleaseHandle() => LinuxNetlink.close(Fd) == 0;
    }

    internal static class LinuxNetlink
    {
        internal const int AF_NETLINK = 16;
        internal const int SOCK_DGRAM = 2;
        /// <summary>Linux value (O_CLOEXEC on x86/arm); keeps the fd out of child processes (ss, pwsh jobs).</summary>
        internal const int SOCK_CLOEXEC = 0x80000;
        internal const int NETLINK_SOCK_DIAG = 4;

        internal const ushort NLMSG_ERROR = 2;
        internal const ushort NLMSG_DONE = 3;
        internal const ushort SOCK_DIAG_BY_FAMILY = 20;
        /// <summary>Destroy the one socket named by the request's inet_diag_sockid (what ss -K sends).
        /// Served only by kernels built with CONFIG_INET_DIAG_DESTROY; needs CAP_NET_ADMIN.</summary>
        internal const ushort SOCK_DESTROY = 21;
        /// <summary>The pre-3.3 inet_diag request (struct inet_diag_req), still served by inet_diag_rcv_msg_compat.</summary>
        internal const ushort TCPDIAG_GETSOCK = 18;
        /// <summary>sizeof(struct inet_diag_req): family, src_len, dst_len, ext, sockid (48), u32 states, u32 dbs.</summary>
        internal const int InetDiagReqV1Len = 60;
        internal const ushort NLM_F_REQUEST = 0x1;
        internal const ushort NLM_F_DUMP = 0x300; // NLM_F_ROOT | NLM_F_MATCH
        /// <summary>Ask for an NLMSG_ERROR with error 0 on success, so every request gets one answer.</summary>
        internal const ushort NLM_F_ACK = 0x4;

        internal const byte IPPROTO_TCP = 6;
        internal const byte AF_INET = 2;
        internal const byte AF_INET6 = 10;

        /// <summary>sizeof(struct nlmsghdr): u32 len, u16 type, u16 flags, u32 seq, u32 pid.</summary>
        internal const int NlMsgHdrLen = 16;
        /// <summary>sizeof(struct inet_diag_req_v2) = 4 bytes of header, u32 states, 48 bytes of inet_diag_sockid.</summary>
        internal const int InetDiagReqV2Len = 56;
        /// <summary>sizeof(struct inet_diag_msg) = 4 bytes, sockid (48), expires, rqueue, wqueue, uid, inode.</summary>
        internal const int InetDiagMsgLen = 72;
        /// <summary>nlattr type INET_DIAG_REQ_BYTECODE.</summary>
        internal const ushort INET_DIAG_REQ_BYTECODE = 1;

        /// <summary>socket(2).</summary>
        /// <remarks>EPROTONOSUPPORT when the kernel lacks inet_diag (module not loaded, some containers);
        /// EACCES/EPERM under seccomp or SELinux policies that forbid netlink. Either way the caller
        /// falls back to /proc/net/tcp.</remarks>
        [DllImport("libc", SetLastError = true)]
        internal static extern int socket(int domain, int type, int protocol);

        /// <summary>sendto(2) with a struct sockaddr_nl (12 bytes: u16 family, u16 pad, u32 pid, u32 groups).</summary>
        /// <remarks>nl_pid 0 addresses the kernel. No bind() is needed: the kernel autobinds the socket
        /// on first send and assigns it a port id.</remarks>
        [DllImport("libc", SetLastError = true)]
        internal static extern unsafe IntPtr sendto(int fd, byte* buf, IntPtr len, int flags, byte* addr, int addrlen);

        /// <summary>recv(2).</summary>
        /// <remarks>A dump arrives as a series of datagrams, each holding several nlmsghdr-framed
        /// messages. The kernel sizes each dump skb from the largest buffer recvmsg has been given,
        /// capped at 32 KiB (netlink_dump, nlk->max_recvmsg_len), so a 64 KiB buffer never truncates.
        /// EINTR is retried by the caller.</remarks>
        [DllImport("libc", SetLastError = true)]
        internal static extern unsafe IntPtr recv(int fd, byte* buf, IntPtr len, int flags);

        /// <summary>close(2).</summary>
        [DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);

        /// <summary>setsockopt(2).</summary>
        /// <remarks>Used for SO_RCVTIMEO (Linux SOL_SOCKET = 1, SO_RCVTIMEO = 20, struct timeval of two
        /// longs) so a kernel that never sends NLMSG_DONE cannot hang a reader.</remarks>
        [DllImport("libc", SetLastError = true)]
        internal static extern unsafe int setsockopt(int fd, int level, int name, byte* value, int len);

        internal const int SOL_SOCKET = 1;
        internal const int SO_RCVTIMEO = 20;
        internal const int EINTR = 4;
        internal const int EAGAIN = 11;
        internal const int EIO = 5;
        internal const int EPERM = 1;
        internal const int ENOENT = 2;
        internal const int EOPNOTSUPP = 95;
        internal const int ENOBUFS = 105;
        internal const int SO_RCVBUF = 8;
        /// <summary>recv flag: return EAGAIN at once rather than block.</summary>
        internal const int MSG_DONTWAIT = 0x40;

        /// <summary>setsockopt(SOL_SOCKET, SO_RCVBUF): best effort; the kernel caps it at net.core.rmem_max.</summary>
        internal static unsafe void SetReceiveBuffer(int fd, int bytes)
        {
            int v = bytes;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, (byte*)&v, 4);
        }

        /// <summary>Opens the diag socket; returns the fd or -errno.</summary>
        internal static unsafe int Open()
        {
            int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
            if (fd < 0)
                return -Marshal.GetLastWin32Error();
            // struct timeval { long tv_sec; long tv_usec; }: 10 s, far above any real dump's gap.
            long* tv = stackalloc long[2];
            tv[0] = 10;
            tv[1] = 0;
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, (byte*)tv, IntPtr.Size * 2);
            return fd;
        }

        /// <summary>Sends one request to the kernel; returns 0 or a positive errno.</summary>
        internal static int Send(int fd, byte[] request) => Send(fd, request, request.Length);

        /// <summary>Sends the first <paramref name="length"/> bytes (one or more messages) in one datagram;
        /// returns 0 or a positive errno.</summary>
        /// <remarks>The kernel runs sock_diag's handler for every message of the datagram inside this call
        /// (netlink_unicast_kernel), so the answers are already queued on the socket when it returns.</remarks>
        internal static unsafe int Send(int fd, byte[] request, int length)
        {
            byte* addr = stackalloc byte[12];
            for (int i = 0; i < 12; i++)
                addr[i] = 0;
            addr[0] = AF_NETLINK; // sa_family_t little-endian; nl_pid = 0 (kernel), nl_groups = 0
            fixed (byte* p = request)
            {
                while (true)
                {
                    long n = (long)sendto(fd, p, (IntPtr)length, 0, addr, 12);
                    if (n >= 0)
                        return 0;
                    int errno = Marshal.GetLastWin32Error();
                    if (errno != EINTR)
                        return errno;
                }
            }
        }

        /// <summary>Receives one datagram; returns its length or -errno.</summary>
        internal static int Receive(int fd, byte[] buffer) => Receive(fd, buffer, 0);

        /// <summary>Receives one datagram with recv flags (MSG_DONTWAIT); returns its length or -errno.</summary>
        internal static unsafe int Receive(int fd, byte[] buffer, int flags)
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    long n = (long)recv(fd, p, (IntPtr)buffer.Length, flags);
                    if (n >= 0)
                        return (int)n;
                    int errno = Marshal.GetLastWin32Error();
                    if (errno != EINTR)
                        return -errno;
                }
            }
        }
    }
}
