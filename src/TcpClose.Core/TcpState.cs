namespace TcpClose
{
    /// <summary>
    /// A TCP connection state, named like the RFC 793 states and numbered like
    /// Get-NetTCPConnection's <c>State</c> (MSFT_NetTCPConnection), so scripts can move between the two.
    /// </summary>
    public enum TcpState
    {
        /// <summary>The OS reported a state this module does not know.</summary>
        Unknown = 0,
        Closed = 1,
        Listen = 2,
        SynSent = 3,
        SynReceived = 4,
        Established = 5,
        FinWait1 = 6,
        FinWait2 = 7,
        CloseWait = 8,
        Closing = 9,
        LastAck = 10,
        TimeWait = 11,
        DeleteTcb = 12,
        /// <summary>Bound to a port but neither listening nor connected.</summary>
        Bound = 100,
    }

    /// <summary>The four ways to end a connection (Stevens, UNP 3rd ed., section 7.5).</summary>
    public enum CloseStyle
    {
        /// <summary>close() with SO_LINGER off: FIN after queued data, returns at once.</summary>
        Graceful,
        /// <summary>SO_LINGER on with a timeout of N seconds: close() waits until data and FIN are ACKed or N seconds pass.</summary>
        Linger,
        /// <summary>SO_LINGER on with a timeout of 0: RST, queued data discarded, no TIME_WAIT.</summary>
        Abort,
        /// <summary>shutdown(SHUT_WR), read until the peer's FIN, then close.</summary>
        HalfClose,
    }

    /// <summary>Which side of the connection this process holds.</summary>
    public enum ConnectionRole
    {
        /// <summary>Opened with connect() (New-TcpConnection).</summary>
        Client,
        /// <summary>Returned by accept() on a listener (Wait-TcpConnection).</summary>
        Server,
    }

    /// <summary>Life cycle of a connection object held by this process.</summary>
    public enum ConnectionStatus
    {
        /// <summary>Both directions open.</summary>
        Open,
        /// <summary>The socket has been closed by this process; the object is kept only as a record.</summary>
        Closed,
    }

    /// <summary>Life cycle of a listener object held by this process.</summary>
    public enum ListenerStatus
    {
        Listening,
        Stopped,
    }
}
