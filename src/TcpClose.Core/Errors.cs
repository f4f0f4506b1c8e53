using System;

namespace TcpClose
{
    /// <summary>
    /// The stable error ids of the module, the first half of every FullyQualifiedErrorId
    /// (<c>AddressInUse,TcpClose.Commands.StartTcpListenerCommand</c>). Pester suites assert on them,
    /// so a value here never changes once released.
    /// </summary>
    public static class ErrorIds
    {
        public const string AddressInUse = "AddressInUse";
        public const string AddressNotAvailable = "AddressNotAvailable";
        public const string PermissionDenied = "PermissionDenied";
        public const string InvalidPort = "InvalidPort";
        public const string InvalidAddress = "InvalidAddress";
        public const string InvalidTimeout = "InvalidTimeout";
        public const string InvalidLinger = "InvalidLinger";
        public const string InvalidBacklog = "InvalidBacklog";
        public const string InvalidName = "InvalidName";
        public const string InvalidCount = "InvalidCount";
        public const string InvalidProcessId = "InvalidProcessId";
        public const string ConflictingOptions = "ConflictingOptions";
        public const string PlatformNotSupported = "PlatformNotSupported";
        public const string ConnectionClosed = "ConnectionClosed";
        public const string ListenerStopped = "ListenerStopped";
        public const string ListenerNotFound = "ListenerNotFound";
        public const string ConnectionNotFound = "ConnectionNotFound";
        public const string ConnectionRefused = "ConnectionRefused";
        public const string ConnectionReset = "ConnectionReset";
        public const string ConnectionAborted = "ConnectionAborted";
        public const string ConnectTimeout = "ConnectTimeout";
        public const string AcceptTimeout = "AcceptTimeout";
        public const string SendTimeout = "SendTimeout";
        public const string TimeWaitRemains = "TimeWaitRemains";
        public const string PortNotAnswering = "PortNotAnswering";
        public const string TcpTableUnavailable = "TcpTableUnavailable";
        public const string SettingNotFound = "SettingNotFound";
        public const string SocketError = "SocketError";
        public const string FilterRequired = "FilterRequired";
        public const string InvalidRow = "InvalidRow";
        public const string RemoveNotSupported = "RemoveNotSupported";
        public const string RemoveIPv6NotSupported = "RemoveIPv6NotSupported";
        public const string RemoveFailed = "RemoveFailed";
        public const string InvalidNetworkNamespace = "InvalidNetworkNamespace";
        public const string NetworkNamespaceNotFound = "NetworkNamespaceNotFound";
        public const string StatisticNotFound = "StatisticNotFound";
        public const string StatisticsUnavailable = "StatisticsUnavailable";
        public const string InvalidSince = "InvalidSince";
    }

    /// <summary>
    /// The error categories the module uses. Names and numbers are those of
    /// System.Management.Automation.ErrorCategory (the core has no PowerShell reference), so the
    /// cmdlet layer converts by a cast; a contract test checks they agree.
    /// </summary>
    public enum TcpErrorCategory
    {
        InvalidArgument = 5,
        InvalidOperation = 7,
        NotImplemented = 11,
        ObjectNotFound = 13,
        OperationTimeout = 15,
        PermissionDenied = 18,
        ResourceUnavailable = 21,
        ReadError = 22,
        WriteError = 23,
        ProtocolError = 26,
        ConnectionError = 27,
    }

    /// <summary>
    /// A failure with everything the cmdlet layer needs for an ErrorRecord: a stable id, a category,
    /// the object concerned (an endpoint, a connection, table rows) and, for socket failures, the
    /// <see cref="System.Net.Sockets.SocketException"/> as the inner exception.
    /// </summary>
    public sealed class TcpCloseException : Exception
    {
        public TcpCloseException(string errorId, TcpErrorCategory category, string message, object target, Exception inner = null)
            : base(message, inner)
        {
            ErrorId = errorId ?? throw new ArgumentNullException(nameof(errorId));
            Category = category;
            Target = target;
        }

        /// <summary>One of <see cref="ErrorIds"/>.</summary>
        public string ErrorId { get; }

        public TcpErrorCategory Category { get; }

        /// <summary>The endpoint (as "address:port" text), object or rows the error is about.</summary>
        public object Target { get; }

        /// <summary>The OS error number when the cause was a socket call, else null.</summary>
        public int? NativeErrorCode => (InnerException as System.Net.Sockets.SocketException)?.NativeErrorCode;
    }
}
