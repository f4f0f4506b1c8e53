using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace TcpClose
{
    /// <summary>What Start-TcpListener asks for.</summary>
    public sealed class ListenerOptions
    {
        /// <summary>IP literal or "localhost"; default 127.0.0.1 so nothing is exposed unless asked.</summary>
        public string Address { get; set; } = "127.0.0.1";
        /// <summary>0..65535; 0 lets the OS pick an ephemeral port.</summary>
        public int Port { get; set; }
        /// <summary>SO_REUSEADDR alone, set before bind. Off means off, on every OS.</summary>
        public bool ReuseAddress { get; set; }
        /// <summary>Windows SO_EXCLUSIVEADDRUSE; PlatformNotSupported elsewhere.</summary>
        public bool ExclusiveAddressUse { get; set; }
        /// <summary>Linux/BSD SO_REUSEPORT (live listeners share the port); PlatformNotSupported on Windows.</summary>
        public bool ReusePort { get; set; }
        /// <summary>For an IPv6 address: accept IPv4 too (IPV6_V6ONLY off). InvalidArgument for IPv4.</summary>
        public bool DualMode { get; set; }
        /// <summary>listen() backlog, 1..65535.</summary>
        public int Backlog { get; set; } = 128;
        /// <summary>Free text to find the listener again (Get-TcpListener -Name).</summary>
        public string Name { get; set; }
        /// <summary>Linux: the network namespace to work in (null: the caller's own).</summary>
        public NetworkNamespace NetworkNamespace { get; set; }
    }

    /// <summary>
    /// A listening socket held by this process. Holds a live socket; kept in <see cref="TcpRegistry"/>
    /// until stopped. The option properties are read back from the socket, not echoed from the request.
    /// </summary>
    public sealed class Listener : IDisposable, INetworkNamespaceBound
    {
        internal Listener() { }

        public int Id { get; internal set; }
        public string Name { get; internal set; }
        /// <summary>The network namespace this was made in, when one was asked for: its name, else net:[INODE].</summary>
        public string NetworkNamespace { get; internal set; }

        /// <summary>Where the socket was made (null: the caller's own namespace).</summary>
        internal NetworkNamespace Namespace { get; set; }
        public string LocalAddress { get; internal set; }
        public int LocalPort { get; internal set; }
        public string AddressFamily => LocalAddress != null && LocalAddress.IndexOf(':') >= 0 ? "IPv6" : "IPv4";
        /// <summary>SO_REUSEADDR as read back from the socket.</summary>
        public bool ReuseAddress { get; internal set; }
        /// <summary>SO_REUSEPORT as read back (false on Windows, which has none).</summary>
        public bool ReusePort { get; internal set; }
        /// <summary>SO_EXCLUSIVEADDRUSE as read back (false off Windows).</summary>
        public bool ExclusiveAddressUse { get; internal set; }
        /// <summary>IPv6 socket accepting IPv4 too (IPV6_V6ONLY off), read back.</summary>
        public bool DualMode { get; internal set; }
        public int Backlog { get; internal set; }
        public ListenerStatus State { get; internal set; }
        public DateTime StartTime { get; internal set; }
        /// <summary>Connections accepted through Wait-TcpConnection.</summary>
        public int AcceptedCount { get; internal set; }

        internal Socket Socket { get; set; }

        /// <summary>
        /// Accept the next connection. AcceptTimeout when none comes in time; ListenerStopped after Stop
        /// or when the socket was destroyed from outside;
        /// InvalidTimeout when the timeout is not positive.
        /// </summary>
        public Connection Accept(TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            Endpoints.CheckTimeout(timeout, "accept timeout");
            Socket listening = Socket;
            if (State == ListenerStatus.Stopped || listening == null)
            {
                throw Stopped();
            }

            DateTime deadline = Endpoints.Deadline(timeout);
            try
            {
                // Poll in bounded slices so a Stop from another runspace, Ctrl+C or the deadline is noticed.
                while (!Endpoints.WaitReady(listening, SelectMode.SelectRead, Earliest(DateTime.UtcNow.AddMilliseconds(200), deadline), cancellationToken))
                {
                    if (State == ListenerStatus.Stopped)
                    {
                        throw Stopped();
                    }

                    if (DateTime.UtcNow >= deadline)
                    {
                        throw new TcpCloseException(ErrorIds.AcceptTimeout, TcpErrorCategory.OperationTimeout,
                            $"No connection arrived on {Endpoints.Show(LocalAddress, LocalPort)} (listener {Id}) within {timeout.TotalSeconds} s. Connect to it first, or give a longer -Timeout.",
                            this);
                    }
                }

                Socket accepted = listening.Accept();
                Connection connection;
                try
                {
                    connection = Connection.FromSocket(accepted, ConnectionRole.Server, Id);
                    connection.NetworkNamespace = NetworkNamespace; // an accepted socket lives where its listener does
                    connection.Namespace = Namespace;
                }
                catch
                {
                    accepted.Dispose();
                    throw;
                }

                lock (this)
                {
                    AcceptedCount++;
                }

                return TcpRegistry.Add(connection);
            }
            catch (ObjectDisposedException)
            {
                throw Stopped();
            }
            catch (SocketException ex) when (State == ListenerStatus.Stopped)
            {
                throw Stopped(ex);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.InvalidArgument)
            {
                // EINVAL from accept() on a socket this session still listens on: it was destroyed
                // from outside (SOCK_DESTROY: Remove-TcpConnection or ss -K). It stays open here,
                // and its port stays bound when it was bound by number, until Stop-TcpListener.
                throw new TcpCloseException(ErrorIds.ListenerStopped, TcpErrorCategory.InvalidOperation,
                    $"Listener {Id} on {Endpoints.Show(LocalAddress, LocalPort)} no longer listens: it was destroyed from outside this session (Remove-TcpConnection or ss -K). Stop it (Stop-TcpListener -Id {Id}) to give its port back, then start a new one.",
                    this, ex);
            }
            catch (SocketException ex)
            {
                throw SocketSetup.Map(ex, Endpoints.Show(LocalAddress, LocalPort), "accept on");
            }
        }

        /// <summary>Close the listening socket and leave the registry. Idempotent: false when already stopped.</summary>
        public bool Stop()
        {
            Socket socket;
            lock (this)
            {
                if (State == ListenerStatus.Stopped)
                {
                    return false;
                }

                State = ListenerStatus.Stopped;
                socket = Socket;
            }

            socket?.Dispose();
            TcpRegistry.Remove(this);
            return true;
        }

        private static DateTime Earliest(DateTime a, DateTime b) => a < b ? a : b;

        internal TcpCloseException Stopped(Exception inner = null) =>
            new TcpCloseException(ErrorIds.ListenerStopped, TcpErrorCategory.InvalidOperation,
                $"Listener {Id} on {Endpoints.Show(LocalAddress, LocalPort)} has been stopped. Start a new one with Start-TcpListener.",
                this, inner);

        public void Dispose() => Stop();

        /// <summary>"Listener 12 web 127.0.0.1:8080 Listening": Tab completion shows it as the tooltip.</summary>
        public override string ToString() =>
            $"Listener {Id}{(string.IsNullOrEmpty(Name) ? "" : " " + Name)} {Endpoints.Show(LocalAddress, LocalPort)} {State}";
    }
}
