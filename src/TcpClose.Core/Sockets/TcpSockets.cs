using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace TcpClose
{
    /// <summary>Opening listeners and connections.</summary>
    public static class TcpSockets
    {
        /// <summary>
        /// Bind and listen with exactly the options asked for. Errors: InvalidPort, InvalidAddress,
        /// InvalidBacklog, InvalidName (blank), ConflictingOptions, PlatformNotSupported, AddressInUse (message names what
        /// holds the port), AddressNotAvailable, PermissionDenied. Nothing is left open on failure.
        /// </summary>
        public static Listener StartListener(ListenerOptions options)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            Endpoints.CheckPort(options.Port, "listener port", allowZero: true);
            IPAddress address = Endpoints.ParseLocal(options.Address, "listener address");
            if (options.Backlog < 1 || options.Backlog > 65535)
            {
                throw new TcpCloseException(ErrorIds.InvalidBacklog, TcpErrorCategory.InvalidArgument,
                    $"{options.Backlog} is not a valid backlog: it must be between 1 and 65535 (the OS caps it at net.core.somaxconn on Linux).",
                    options.Backlog);
            }
            // A blank name could be neither completed by Tab nor matched by a wildcard: refused, so
            // every named listener can be found again. No name at all (null) is fine.
            if (options.Name != null && options.Name.Trim().Length == 0)
            {
                throw new TcpCloseException(ErrorIds.InvalidName, TcpErrorCategory.InvalidArgument,
                    $"'{options.Name}' is not a valid listener name: a name needs at least one character that is not white space. Leave -Name out for a listener without a name.",
                    options.Name);
            }

            var request = new SocketRequest
            {
                ReuseAddress = options.ReuseAddress,
                ReusePort = options.ReusePort,
                ExclusiveAddressUse = options.ExclusiveAddressUse,
                DualMode = options.DualMode,
                Namespace = options.NetworkNamespace,
            };
            SocketSetup.Check(request, address);

            Socket socket = SocketSetup.Create(address.AddressFamily, request);
            try
            {
                socket.Bind(new IPEndPoint(address, options.Port));
                socket.Listen(options.Backlog);
                var local = (IPEndPoint)socket.LocalEndPoint;
                var listener = new Listener
                {
                    Socket = socket,
                    Name = options.Name,
                    LocalAddress = Endpoints.Show(local.Address),
                    LocalPort = local.Port,
                    ReuseAddress = SocketSetup.ReadReuseAddress(socket),
                    ReusePort = SocketSetup.ReadReusePort(socket),
                    ExclusiveAddressUse = SocketSetup.ReadExclusiveAddressUse(socket),
                    DualMode = SocketSetup.ReadDualMode(socket),
                    Backlog = options.Backlog,
                    State = ListenerStatus.Listening,
                    NetworkNamespace = NetworkNamespace.Tag(options.NetworkNamespace),
                    Namespace = options.NetworkNamespace,
                    StartTime = DateTime.UtcNow,
                };
                return TcpRegistry.Add(listener);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                string endpoint = Endpoints.Show(address, options.Port);
                if (ex.SocketErrorCode == SocketError.AddressAlreadyInUse || BindDiagnosis.IsHeldExclusively(ex.SocketErrorCode, address, options.Port))
                {
                    throw BindDiagnosis.AddressInUse(ex, address, options.Port, options.ReuseAddress, "listen on", options.DualMode, options.NetworkNamespace);
                }

                throw SocketSetup.Map(ex, endpoint, "listen on");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Connect. Errors: InvalidPort, InvalidAddress, InvalidTimeout, ConnectionRefused,
        /// ConnectTimeout, AddressInUse (local bind). Nothing is left open on failure.
        /// </summary>
        public static Connection Connect(ConnectOptions options, CancellationToken cancellationToken = default)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            Endpoints.CheckPort(options.RemotePort, "remote port", allowZero: false);
            Endpoints.CheckPort(options.LocalPort, "local port", allowZero: true);
            Endpoints.CheckTimeout(options.Timeout, "connect timeout");
            IPAddress remote = Endpoints.ParseRemote(options.RemoteAddress);
            IPAddress local = null;
            if (!string.IsNullOrEmpty(options.LocalAddress))
            {
                local = Endpoints.ParseLocal(options.LocalAddress, "local address");
                if (local.AddressFamily != remote.AddressFamily)
                {
                    throw new TcpCloseException(ErrorIds.ConflictingOptions, TcpErrorCategory.InvalidArgument,
                        $"The local address {Endpoints.Show(local)} and the remote address {Endpoints.Show(remote)} are of different families: use IPv4 with IPv4, IPv6 with IPv6.",
                        options.LocalAddress);
                }
            }

            string target = Endpoints.Show(remote, options.RemotePort);
            Socket socket = SocketSetup.Create(remote.AddressFamily, new SocketRequest { ReuseAddress = options.ReuseAddress, Namespace = options.NetworkNamespace });
            try
            {
                if (local != null || options.LocalPort != 0)
                {
                    IPAddress bindAddress = local ?? (remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);
                    try
                    {
                        socket.Bind(new IPEndPoint(bindAddress, options.LocalPort));
                    }
                    catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
                    {
                        throw BindDiagnosis.AddressInUse(ex, bindAddress, options.LocalPort, options.ReuseAddress, "bind the local end to", false, options.NetworkNamespace);
                    }
                    catch (SocketException ex)
                    {
                        throw SocketSetup.Map(ex, Endpoints.Show(bindAddress, options.LocalPort), "bind the local end to");
                    }
                }

                ConnectWithin(socket, new IPEndPoint(remote, options.RemotePort), options.Timeout, target, cancellationToken);
                Connection connection = Connection.FromSocket(socket, ConnectionRole.Client, null);
                connection.NetworkNamespace = NetworkNamespace.Tag(options.NetworkNamespace);
                connection.Namespace = options.NetworkNamespace;
                return TcpRegistry.Add(connection);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        // A non-blocking connect and a bounded Poll: the only portable connect with a timeout that
        // leaves no thread or pending operation behind when it gives up.
        private static void ConnectWithin(Socket socket, IPEndPoint remote, TimeSpan timeout, string target, CancellationToken cancellationToken)
        {
            socket.Blocking = false;
            try
            {
                socket.Connect(remote);
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock || ex.SocketErrorCode == SocketError.InProgress)
            {
            }
            catch (SocketException ex)
            {
                throw SocketSetup.Map(ex, target, "connect to");
            }

            DateTime deadline = Endpoints.Deadline(timeout);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Writable means connected; an error shows as writable (Unix) or in SelectError (Windows).
                bool ready = socket.Poll(Math.Min(Endpoints.PollMicroseconds(deadline), 200_000), SelectMode.SelectWrite)
                    || socket.Poll(0, SelectMode.SelectError);
                if (ready)
                {
                    break;
                }

                if (DateTime.UtcNow >= deadline)
                {
                    throw new TcpCloseException(ErrorIds.ConnectTimeout, TcpErrorCategory.OperationTimeout,
                        $"Cannot connect to {target}: no answer within {timeout.TotalSeconds} s (a firewall may drop the SYN). Check the address and port, or give a longer -Timeout.",
                        target);
                }
            }

            int error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error);
            if (error != 0)
            {
                throw SocketSetup.Map(new SocketException(error), target, "connect to");
            }
        }
    }
}
