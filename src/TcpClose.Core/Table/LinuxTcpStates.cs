using System.Collections.Generic;

namespace TcpClose
{
    /// <summary>
    /// Linux's TCP state numbers (include/net/tcp_states.h), shared by inet_diag and /proc/net/tcp,
    /// and their mapping onto <see cref="TcpState"/>.
    /// </summary>
    internal static class LinuxTcpStates
    {
        internal const int Established = 1, SynSent = 2, SynRecv = 3, FinWait1 = 4, FinWait2 = 5, TimeWait = 6,
            Close = 7, CloseWait = 8, LastAck = 9, Listen = 10, Closing = 11, NewSynRecv = 12, BoundInactive = 13;

        /// <summary>Every state a plain dump asks for (1..12). Bit 13 (TCP_BOUND_INACTIVE, kernel 6.9+)
        /// makes the kernel also walk the bind hash; asked only when Bound is in the filter.</summary>
        internal const uint AllDumpStates = 0x1FFE;

        /// <summary>
        /// Whether this kernel lists bound, idle sockets (TCP_BOUND_INACTIVE, Linux 6.9+): older ones
        /// answer a dump with bit 13 without them, so "no Bound row" means nothing there.
        /// </summary>
        internal static bool ListsBoundSockets { get; } =
            System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux)
            && System.Environment.OSVersion.Version >= new System.Version(6, 9);

        internal static TcpState ToTcpState(int linux)
        {
            switch (linux)
            {
                case Established: return TcpState.Established;
                case SynSent: return TcpState.SynSent;
                case SynRecv: return TcpState.SynReceived;
                // A request socket (the half-open connection on a listener) since Linux 4.4.
                case NewSynRecv: return TcpState.SynReceived;
                case FinWait1: return TcpState.FinWait1;
                case FinWait2: return TcpState.FinWait2;
                case TimeWait: return TcpState.TimeWait;
                // tcp_set_state(TCP_CLOSE) unhashes the socket, so no CLOSE socket is in the listening or
                // established hash: a CLOSE row can only come from the bound-inactive walk (kernel 6.9+,
                // asked with bit 13), i.e. a socket bound to a port and doing nothing. Measured: such a row
                // carries state 7, not 13.
                case Close: return TcpState.Bound;
                case CloseWait: return TcpState.CloseWait;
                case LastAck: return TcpState.LastAck;
                case Listen: return TcpState.Listen;
                case Closing: return TcpState.Closing;
                case BoundInactive: return TcpState.Bound;
                default: return TcpState.Unknown;
            }
        }

        /// <summary>The idiag_states bit mask for a state filter (null/empty: all but bound-only).</summary>
        internal static uint ToMask(IReadOnlyList<TcpState> states)
        {
            if (states == null || states.Count == 0)
                return AllDumpStates;
            uint mask = 0;
            foreach (var s in states)
            {
                switch (s)
                {
                    case TcpState.Established: mask |= 1u << Established; break;
                    case TcpState.SynSent: mask |= 1u << SynSent; break;
                    case TcpState.SynReceived: mask |= 1u << SynRecv | 1u << NewSynRecv; break;
                    case TcpState.FinWait1: mask |= 1u << FinWait1; break;
                    case TcpState.FinWait2: mask |= 1u << FinWait2; break;
                    case TcpState.TimeWait: mask |= 1u << TimeWait; break;
                    case TcpState.Closed: break; // Linux lists no closed sockets
                    case TcpState.CloseWait: mask |= 1u << CloseWait; break;
                    case TcpState.LastAck: mask |= 1u << LastAck; break;
                    case TcpState.Listen: mask |= 1u << Listen; break;
                    case TcpState.Closing: mask |= 1u << Closing; break;
                    case TcpState.Bound: mask |= 1u << BoundInactive; break;
                    // Unknown, DeleteTcb: Linux has no such state.
                }
            }
            return mask;
        }
    }
}
