using System;

namespace TcpClose
{
    /// <summary>
    /// The outcome of probing one target: immutable, no live handle (the probe's socket is closed
    /// before the result exists), so it survives remoting and Export-Csv.
    /// </summary>
    public sealed class PortTestResult : INetworkNamespaceBound
    {
        /// <summary>The target as given (a host name or an address).</summary>
        public string ComputerName { get; internal set; }
        /// <summary>The address this result is about: the one that connected, else the first one tried.</summary>
        public string RemoteAddress { get; internal set; }
        public int RemotePort { get; internal set; }
        public PortTestOutcome Result { get; internal set; }
        public bool Succeeded => Result == PortTestOutcome.Connected;
        /// <summary>From the start of the test of this target to its result: every address and, with -Wait, every attempt.</summary>
        public TimeSpan Elapsed { get; internal set; }
        public double ElapsedSeconds => Elapsed.TotalSeconds;
        /// <summary>The local end the probe of <see cref="RemoteAddress"/> used, where the OS reported one.</summary>
        public string LocalAddress { get; internal set; }
        public int? LocalPort { get; internal set; }
        /// <summary>The socket error's name (ConnectionRefused, HostUnreachable...), null when connected or timed out by the probe's own clock.</summary>
        public string Error { get; internal set; }
        public int? NativeErrorCode { get; internal set; }
        /// <summary>Rounds of probes made: 1 without -Wait; with -Wait, how many it took.</summary>
        public int Attempts { get; internal set; }
        /// <summary>The network namespace this was probed from, when one was asked for: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }

        /// <summary>"127.0.0.1:8080: Refused after 0.2 ms from 127.0.0.1:41234", as Test-TcpPort -Verbose shows each probe.</summary>
        public override string ToString() =>
            $"{Endpoints.Show(RemoteAddress, RemotePort)}: {Result} after {Elapsed.TotalMilliseconds:0.0} ms" +
            (LocalPort is int port ? $" from {Endpoints.Show(LocalAddress, port)}" : "");
    }

    /// <summary>How a probe ended. Every value but <see cref="Connected"/> is a port that did not answer.</summary>
    public enum PortTestOutcome
    {
        /// <summary>The three-way handshake completed: something listens and accepted the SYN.</summary>
        Connected,
        /// <summary>The host answered the SYN with RST (ECONNREFUSED): nothing listens on that port.</summary>
        Refused,
        /// <summary>No answer within the connect timeout (SYNs dropped, or a listener whose backlog is full), or the OS's own connect timeout (ETIMEDOUT).</summary>
        TimedOut,
        /// <summary>No route to the host or network (EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN).</summary>
        Unreachable,
        /// <summary>No local address or port to connect from (EADDRNOTAVAIL): the ephemeral range is used up for this destination, or the address family is off.</summary>
        AddressNotAvailable,
        /// <summary>Any other socket error; <see cref="PortTestResult.Error"/> names it.</summary>
        Failed,
    }
}
