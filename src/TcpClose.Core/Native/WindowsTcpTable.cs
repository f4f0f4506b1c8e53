using System;
using System.Runtime.InteropServices;

namespace TcpClose.Native
{
    /// <summary>iphlpapi GetExtendedTcpTable (Windows only); the TIME_WAIT delay is read by <see cref="WindowsTcpSettings"/>.</summary>
    /// <remarks>Compiled everywhere, called only when RuntimeInformation says Windows. The parsers over
    /// the copied bytes are plain functions so they are tested on every OS.</remarks>
    internal static class WindowsTcpTable
    {
        internal const int AF_INET = 2;
        internal const int AF_INET6 = 23;
        /// <summary>TCP_TABLE_CLASS.TCP_TABLE_OWNER_PID_ALL: listeners and connections, with PIDs.</summary>
        internal const int TCP_TABLE_OWNER_PID_ALL = 5;
        const int ERROR_INSUFFICIENT_BUFFER = 122;
        /// <summary>sizeof(MIB_TCPROW_OWNER_PID): dwState, dwLocalAddr, dwLocalPort, dwRemoteAddr, dwRemotePort, dwOwningPid.</summary>
        internal const int Row4Size = 24;
        /// <summary>sizeof(MIB_TCP6ROW_OWNER_PID): ucLocalAddr[16], dwLocalScopeId, dwLocalPort, ucRemoteAddr[16],
        /// dwRemoteScopeId, dwRemotePort, dwState, dwOwningPid.</summary>
        internal const int Row6Size = 56;

        /// <summary>GetExtendedTcpTable.</summary>
        /// <remarks>Returns ERROR_INSUFFICIENT_BUFFER with the size needed; the table can grow between
        /// the two calls, so the caller loops. The result is a snapshot copied into our buffer (no
        /// streaming on Windows). TIME_WAIT rows have PID 0 and no timer.</remarks>
        [DllImport("iphlpapi.dll", SetLastError = false)]
        static extern uint GetExtendedTcpTable(IntPtr table, ref int size, bool order, int af, int tableClass, uint reserved);

        /// <summary>The raw table for one family, copied into a managed array; throws TcpSourceRefused on failure.</summary>
        internal static byte[] Snapshot(int af)
        {
            int size = 0;
            for (int attempt = 0; attempt < 8; attempt++)
            {
                IntPtr mem = size > 0 ? Marshal.AllocHGlobal(size) : IntPtr.Zero;
                try
                {
                    int want = size;
                    uint rc = GetExtendedTcpTable(mem, ref want, false, af, TCP_TABLE_OWNER_PID_ALL, 0);
                    if (rc == 0 && mem != IntPtr.Zero)
                    {
                        var b = new byte[want];
                        Marshal.Copy(mem, b, 0, want);
                        return b;
                    }
                    if (rc != ERROR_INSUFFICIENT_BUFFER && !(rc == 0 && mem == IntPtr.Zero))
                        throw new TcpSourceRefusedException($"GetExtendedTcpTable failed with error {rc}", (int)rc);
                    size = want + 4096; // room for rows that appear before the next call
                }
                finally
                {
                    if (mem != IntPtr.Zero)
                        Marshal.FreeHGlobal(mem);
                }
            }
            throw new TcpSourceRefusedException("GetExtendedTcpTable: the table kept growing", ERROR_INSUFFICIENT_BUFFER);
        }

        /// <summary>Parses row <paramref name="index"/> of a MIB_TCPTABLE_OWNER_PID / MIB_TCP6TABLE_OWNER_PID.</summary>
        /// <remarks>Addresses are stored in network byte order; ports are in network byte order in the
        /// low 16 bits of a DWORD (so bytes 0 and 1); states are MIB_TCP_STATE, numbered like TcpState.
        /// dwNumEntries (DWORD) comes first and rows follow at offset 4.</remarks>
        internal static bool TryParseRow(byte[] table, int index, bool v6, out RawTcpRow row)
        {
            row = default(RawTcpRow);
            int size = v6 ? Row6Size : Row4Size;
            long o = 4 + (long)index * size;
            if (table == null || index < 0 || o + size > table.Length)
                return false;
            int i = (int)o;
            uint state, pid;
            if (!v6)
            {
                state = BitConverter.ToUInt32(table, i);
                row.Local = IPKey.FromBytes(table, i + 4, false);
                row.LocalPort = table[i + 8] << 8 | table[i + 9];
                row.Remote = IPKey.FromBytes(table, i + 12, false);
                row.RemotePort = table[i + 16] << 8 | table[i + 17];
                pid = BitConverter.ToUInt32(table, i + 20);
            }
            else
            {
                row.Local = IPKey.FromBytes(table, i, true);
                row.LocalPort = table[i + 20] << 8 | table[i + 21];
                row.Remote = IPKey.FromBytes(table, i + 24, true);
                row.RemotePort = table[i + 44] << 8 | table[i + 45];
                state = BitConverter.ToUInt32(table, i + 48);
                pid = BitConverter.ToUInt32(table, i + 52);
            }
            row.State = state >= 1 && state <= 12 ? (TcpState)state : TcpState.Unknown;
            row.TimerMs = -1;
            row.Inode = -1;
            // TIME_WAIT rows belong to no process any more; Windows reports PID 0 (System Idle).
            row.Pid = row.State == TcpState.TimeWait || pid > int.MaxValue ? -1 : (int)pid;
            return true;
        }

        /// <summary>Rows in the snapshot: dwNumEntries bounded by what the bytes hold.</summary>
        internal static int RowCount(byte[] table, bool v6)
        {
            if (table == null || table.Length < 4)
                return 0;
            uint n = BitConverter.ToUInt32(table, 0);
            long fit = (table.Length - 4) / (v6 ? Row6Size : Row4Size);
            return (int)Math.Min(n, fit);
        }
    }
}
