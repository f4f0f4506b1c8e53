using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xunit;

namespace TcpClose.Tests
{
    /// <summary>
    /// TcpRowRemoval on real loopback sockets (TCP-NOTES.md "Killing sockets the process does not own").
    /// Every row removed here is one of the test's own, named by its exact 4-tuple: the table is shared.
    /// </summary>
    public sealed class RemovalTests
    {
        static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

        /// <summary>The exact row of one socket end, in any state, or null.</summary>
        static TcpTableEntry Row(IPEndPoint local, IPEndPoint remote) => Loopback.Row(Show(local.Address), local.Port, Show(remote.Address), remote.Port);

        static string Show(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4().ToString() : a.ToString();

        static List<RemovalResult> RemoveAll(IEnumerable<TcpRowKey> keys)
        {
            var results = new List<RemovalResult>();
            using var removal = TcpRowRemoval.Open();
            removal.Remove(keys, (r, e) =>
            {
                Assert.Null(e);
                results.Add(r);
            });
            return results;
        }

        /// <summary>
        /// The removal facts skip when IsPermitted says no: as root it must say yes, or a wrong answer
        /// would turn every one of them into a skip. Root holds CAP_NET_ADMIN in its effective set
        /// unless the process was started with it dropped, which the test run does not do.
        /// </summary>
        [LinuxRootFact]
        public void IsPermittedForRoot()
        {
            Assert.True(TcpRowRemoval.IsPermitted, "running as root, IsPermitted must say yes (CAP_NET_ADMIN)");
        }

        /// <summary>Removes the one Listen row at 127.0.0.1:port; asserts it went without error.</summary>
        static RemovalResult RemoveListenerRow(int port)
        {
            TcpTableEntry row = TcpTable.Read(new TcpTableFilter { LocalAddresses = new[] { "127.0.0.1" }, LocalPorts = new[] { port }, States = new[] { TcpState.Listen } }).Single();
            using var removal = TcpRowRemoval.Open();
            RemovalResult result = removal.Remove(TcpRowKey.From(row), out TcpCloseException error);
            Assert.Null(error);
            Assert.True(result.Removed);
            Assert.Equal(TcpState.Listen, result.State);
            return result;
        }

        /// <summary>The restart problem, cleared: the old server's TIME_WAIT rows removed, a listener without SO_REUSEADDR binds.</summary>
        [LinuxNetAdminFact]
        public void TimeWaitRowsOfAPortRemovedThenAListenerWithoutReuseAddressBindsIt()
        {
            Listener old = Loopback.Listen();
            int port = old.LocalPort;
            var clientPorts = new List<int>();
            for (int i = 0; i < 3; i++)
            {
                var (client, server) = Loopback.Pair(old);
                clientPorts.Add(client.LocalPort);
                server.Close(CloseStyle.Graceful, 0, TimeSpan.Zero); // the server closes first: its end waits
                Assert.True(client.Receive(16, Deadline, true, null).EndOfStream);
                client.Close(CloseStyle.Graceful, 0, TimeSpan.Zero);
            }
            old.Stop();
            var filter = new TcpTableFilter { LocalPorts = new[] { port }, RemotePorts = clientPorts, LocalAddresses = new[] { "127.0.0.1" } };
            List<TimeWaitEntry> rows = Poll.Until(() => TcpTable.ReadTimeWait(filter).ToList(), r => r.Count == 3, Deadline);
            Assert.Equal(3, rows.Count);
            var inUse = Assert.Throws<TcpCloseException>(() => Loopback.Listen(port: port));
            Assert.Equal(ErrorIds.AddressInUse, inUse.ErrorId);
            // Where removal would work (here: CAP_NET_ADMIN), the message and Test-TcpBind's advice offer it.
            Assert.Contains($"Get-TcpTimeWait -LocalPort {port} | Remove-TcpConnection", inUse.Message);
            Assert.Contains($"Get-TcpTimeWait -LocalPort {port} | Remove-TcpConnection", BindDiagnosis.Test(new BindTestOptions { Port = port }).Advice);
            // The judge, ss, finds each row before.
            Assert.All(clientPorts, cp => Assert.Contains("TIME-WAIT", Assert.Single(Loopback.SsRows("127.0.0.1", port, "127.0.0.1", cp))));

            List<RemovalResult> results = RemoveAll(rows.Select(TcpRowKey.From));

            Assert.Equal(3, results.Count);
            Assert.All(results, r => Assert.Equal(RemovalOutcome.Removed, r.Outcome));
            Assert.All(results, r => Assert.True(r.Removed));
            Assert.All(results, r => Assert.Equal(TcpState.TimeWait, r.State));
            Assert.Equal(clientPorts.OrderBy(p => p), results.Select(r => r.RemotePort).OrderBy(p => p));
            Assert.All(clientPorts, cp => Assert.Empty(Loopback.SsRows("127.0.0.1", port, "127.0.0.1", cp)));
            using Listener restarted = Loopback.Listen(port: port);
            Assert.False(restarted.ReuseAddress);
            Assert.Equal(port, restarted.LocalPort);
        }

        /// <summary>An established connection removed: the owner's next call fails (ECONNABORTED), the peer sees RST, no TIME_WAIT is left.</summary>
        [LinuxNetAdminFact]
        public void AnEstablishedConnectionRemovedAbortsItsOwnerAndResetsThePeer()
        {
            using var net = new LoopbackSockets();
            Socket l = net.Listen(IPAddress.Loopback);
            var (c, s) = net.Connect(l);
            var serverEnd = (IPEndPoint)s.LocalEndPoint;
            var clientEnd = (IPEndPoint)c.LocalEndPoint;
            TcpTableEntry row = Row(serverEnd, clientEnd);
            Assert.Equal(TcpState.Established, row.State);
            Assert.Single(Loopback.SsRows("127.0.0.1", serverEnd.Port, "127.0.0.1", clientEnd.Port)); // the judge finds it before

            using var removal = TcpRowRemoval.Open();
            RemovalResult result = removal.Remove(TcpRowKey.From(row), out TcpCloseException error);

            Assert.Null(error);
            Assert.Equal(RemovalOutcome.Removed, result.Outcome);
            Assert.Equal(TcpState.Established, result.State);
            Assert.Null(result.ErrorId);
            c.ReceiveTimeout = 5000;
            var peer = Assert.Throws<SocketException>(() => c.Receive(new byte[16]));
            Assert.Equal(SocketError.ConnectionReset, peer.SocketErrorCode);
            var owner = Assert.Throws<SocketException>(() => s.Send(new byte[] { 1 }));
            Assert.Equal(SocketError.ConnectionAborted, owner.SocketErrorCode);
            Assert.Empty(Loopback.SsRows("127.0.0.1", serverEnd.Port, "127.0.0.1", clientEnd.Port));
        }

        /// <summary>
        /// A listener on a port the kernel picked (port 0) removed: accept() on it fails with EINVAL,
        /// the kernel gives the port back at once, and a listener without SO_REUSEADDR binds it.
        /// </summary>
        [LinuxNetAdminFact]
        public void AListenerOnAKernelPickedPortRemovedFailsAcceptAndReleasesThePort()
        {
            using var net = new LoopbackSockets();
            Socket l = net.Listen(IPAddress.Loopback);
            int port = ((IPEndPoint)l.LocalEndPoint).Port;
            Assert.Single(Loopback.SsListening(port)); // the judge finds it before
            RemovalResult result = RemoveListenerRow(port);

            Assert.True(result.PortReleased);
            Assert.Null(result.Note);
            l.Blocking = false; // a listener would answer WouldBlock; a destroyed one answers EINVAL at once
            var ex = Assert.Throws<SocketException>(() => l.Accept());
            Assert.Equal(SocketError.InvalidArgument, ex.SocketErrorCode);
            Assert.Empty(Loopback.SsListening(port));
            using Listener rebound = Loopback.Listen(port: port);
            Assert.Equal(port, rebound.LocalPort);
        }

        /// <summary>
        /// A listener bound to an explicit port removed: it stops listening, but the socket keeps the
        /// port until its owner closes it. The result says so and names the owner; a bind fails with
        /// AddressInUse naming that bound socket, and succeeds once the owner closes it.
        /// </summary>
        [LinuxNetAdminBoundFact]
        public void AListenerOnAnExplicitPortRemovedLeavesThePortBoundUntilItsOwnerClosesIt()
        {
            int port;
            using (Listener probe = Loopback.Listen())
                port = probe.LocalPort;
            Listener explicitListener = Loopback.Listen(port: port);
            try
            {
                RemovalResult result = RemoveListenerRow(port);

                Assert.False(result.PortReleased);
                Assert.Contains($"process {Environment.ProcessId}", result.Note);
                TcpTableEntry bound = Assert.Single(TcpTable.Read(new TcpTableFilter { LocalAddresses = new[] { "127.0.0.1" }, LocalPorts = new[] { port }, States = new[] { TcpState.Bound } }));
                Assert.Equal(Environment.ProcessId, bound.OwningProcess);
                var inUse = Assert.Throws<TcpCloseException>(() => Loopback.Listen(port: port));
                Assert.Equal(ErrorIds.AddressInUse, inUse.ErrorId);
                Assert.Contains("bound to it and not listening", inUse.Message);
                Assert.Contains($"process {Environment.ProcessId}", inUse.Message);
            }
            finally
            {
                explicitListener.Dispose();
            }
            using Listener rebound = Loopback.Listen(port: port);
            Assert.Equal(port, rebound.LocalPort);
        }

        /// <summary>Listeners sharing a port through SO_REUSEPORT: each is reached, though the kernel's lookup picks one of the group.</summary>
        [LinuxNetAdminFact]
        public void EveryListenerOfAnSoReusePortGroupIsRemoved()
        {
            var listeners = new List<Listener> { TcpSockets.StartListener(new ListenerOptions { Address = "127.0.0.1", Port = 0, ReusePort = true }) };
            int port = listeners[0].LocalPort;
            try
            {
                for (int i = 0; i < 3; i++)
                    listeners.Add(TcpSockets.StartListener(new ListenerOptions { Address = "127.0.0.1", Port = port, ReusePort = true }));
                var filter = new TcpTableFilter { LocalPorts = new[] { port }, States = new[] { TcpState.Listen } };
                List<TcpTableEntry> rows = TcpTable.Read(filter).ToList();
                Assert.Equal(4, rows.Count);
                Assert.Equal(4, Loopback.SsListening(port).Length); // the judge finds the four before

                List<RemovalResult> results = RemoveAll(rows.Select(TcpRowKey.From));

                Assert.Equal(4, results.Count);
                Assert.All(results, r => Assert.Equal(RemovalOutcome.Removed, r.Outcome));
                Assert.Empty(Loopback.SsListening(port));
                // Each listener of the group was reached: every one's next accept fails.
                Assert.All(listeners, l => Assert.Equal(ErrorIds.ListenerStopped,
                    Assert.Throws<TcpCloseException>(() => l.Accept(TimeSpan.FromSeconds(2))).ErrorId));
            }
            finally
            {
                listeners.ForEach(l => l.Dispose());
            }
        }

        /// <summary>A row removed twice: the second time it is AlreadyGone, not an error.</summary>
        [LinuxNetAdminFact]
        public void ARowAlreadyGoneIsReportedAsSuchNotAsAFailure()
        {
            using var net = new LoopbackSockets();
            Socket l = net.Listen(IPAddress.Loopback);
            IPEndPoint clientEnd = net.MakeTimeWait(l);
            var serverEnd = (IPEndPoint)l.LocalEndPoint;
            TimeWaitEntry row = Poll.Until(
                () => TcpTable.ReadTimeWait(new TcpTableFilter { LocalPorts = new[] { clientEnd.Port }, RemotePorts = new[] { serverEnd.Port } }).SingleOrDefault(),
                r => r != null, Deadline);
            Assert.NotNull(row);

            using var removal = TcpRowRemoval.Open();
            Assert.Equal(RemovalOutcome.Removed, removal.Remove(TcpRowKey.From(row), out _).Outcome);
            RemovalResult again = removal.Remove(TcpRowKey.From(row), out TcpCloseException error);

            Assert.Null(error);
            Assert.Equal(RemovalOutcome.AlreadyGone, again.Outcome);
            Assert.False(again.Removed);
            Assert.Null(again.ErrorId);
        }

        /// <summary>Rows given by value (deserialized, from /proc) are looked up by 4-tuple first, and must still be in their state.</summary>
        [LinuxNetAdminFact]
        public void ARowGivenByValueIsLookedUpAndMustStillBeInTheStateItWasSeenIn()
        {
            using var net = new LoopbackSockets();
            Socket l = net.Listen(IPAddress.Loopback);
            IPEndPoint clientEnd = net.MakeTimeWait(l);
            var serverEnd = (IPEndPoint)l.LocalEndPoint;
            Assert.True(Loopback.WaitFor(() => Row(clientEnd, serverEnd)?.State == TcpState.TimeWait, Deadline));
            using var removal = TcpRowRemoval.Open();

            // The same 4-tuple named as a listener is not this TIME_WAIT socket: nothing is removed.
            var wrongState = new TcpRowKey("127.0.0.1", clientEnd.Port, "127.0.0.1", serverEnd.Port, TcpState.Listen, null, null);
            Assert.Equal(RemovalOutcome.AlreadyGone, removal.Remove(wrongState, out _).Outcome);
            Assert.Equal(TcpState.TimeWait, Row(clientEnd, serverEnd)?.State);

            // A row from /proc/net/tcp (no kernel id) is found and removed.
            TcpTableEntry fromProc = TcpTable.Read(new TcpTableFilter { LocalPorts = new[] { clientEnd.Port }, RemotePorts = new[] { serverEnd.Port }, Source = TcpTableSource.ProcNet }).Single();
            RemovalResult result = removal.Remove(TcpRowKey.From(fromProc), out TcpCloseException error);
            Assert.Null(error);
            Assert.Equal(RemovalOutcome.Removed, result.Outcome);
            Assert.Null(Row(clientEnd, serverEnd));
        }

        /// <summary>IPv6, and IPv4 on a dual-stack socket (an AF_INET6 socket whose row shows IPv4), by kernel id and by value.</summary>
        [LinuxNetAdminFact]
        public void IPv6AndDualStackConnectionsAreRemovedByKernelIdAndByValue()
        {
            using var net = new LoopbackSockets();
            Socket v6 = net.Listen(IPAddress.IPv6Loopback);
            var (c6, s6) = net.Connect(v6);
            var dual = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            try
            {
                dual.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
                dual.Listen(4);
                using var c4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                c4.Connect(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)dual.LocalEndPoint).Port));
                using Socket s4 = dual.Accept();

                TcpTableEntry row6 = Row((IPEndPoint)s6.LocalEndPoint, (IPEndPoint)c6.LocalEndPoint);
                TcpTableEntry rowMapped = Row((IPEndPoint)s4.LocalEndPoint, (IPEndPoint)c4.LocalEndPoint);
                Assert.Equal("::1", row6.LocalAddress);
                Assert.Equal("127.0.0.1", rowMapped.LocalAddress); // an AF_INET6 socket, shown as IPv4

                var byValue = new TcpRowKey(rowMapped.LocalAddress, rowMapped.LocalPort, rowMapped.RemoteAddress, rowMapped.RemotePort, TcpState.Established, null, null);
                List<RemovalResult> results = RemoveAll(new[] { TcpRowKey.From(row6), byValue });

                Assert.Equal(2, results.Count);
                Assert.All(results, r => Assert.Equal(RemovalOutcome.Removed, r.Outcome));
                Assert.Equal("IPv6", results[0].AddressFamily);
                Assert.Equal("IPv4", results[1].AddressFamily);
                c6.ReceiveTimeout = 5000;
                c4.ReceiveTimeout = 5000;
                Assert.Equal(SocketError.ConnectionReset, Assert.Throws<SocketException>(() => c6.Receive(new byte[4])).SocketErrorCode);
                Assert.Equal(SocketError.ConnectionReset, Assert.Throws<SocketException>(() => c4.Receive(new byte[4])).SocketErrorCode);
            }
            finally
            {
                dual.Dispose();
            }
        }

        /// <summary>
        /// Without CAP_NET_ADMIN the kernel answers EPERM: PermissionDenied is thrown, the message says what
        /// is needed, and the row stays. The capability is dropped from one short-lived thread only (Linux
        /// credentials are per thread and the kernel checks the sending thread's).
        /// </summary>
        [LinuxNetAdminFact]
        public void WithoutCapNetAdminTheKernelRefusesAndNothingIsRemoved()
        {
            using var net = new LoopbackSockets();
            Socket l = net.Listen(IPAddress.Loopback);
            IPEndPoint clientEnd = net.MakeTimeWait(l);
            var serverEnd = (IPEndPoint)l.LocalEndPoint;
            Assert.True(Loopback.WaitFor(() => Row(clientEnd, serverEnd)?.State == TcpState.TimeWait, Deadline));
            TcpRowKey key = TcpRowKey.From(Row(clientEnd, serverEnd));

            var seen = new List<RemovalResult>();
            Exception thrown = null;
            var thread = new Thread(() =>
            {
                try
                {
                    Capabilities.DropNetAdminFromThisThread();
                    Assert.False(TcpRowRemoval.IsPermitted);
                    // Advice offers removal only where it would work.
                    string advice = BindDiagnosis.Test(new BindTestOptions { Port = clientEnd.Port }).Advice;
                    Assert.Contains("TIME_WAIT", advice);
                    Assert.DoesNotContain("Remove-TcpConnection", advice);
                    using var removal = TcpRowRemoval.Open();
                    removal.Remove(new[] { key, key }, (r, e) => seen.Add(r));
                }
                catch (Exception e)
                {
                    thrown = e;
                }
            });
            thread.Start();
            Assert.True(thread.Join(Deadline));

            var ex = Assert.IsType<TcpCloseException>(thrown);
            Assert.Equal(ErrorIds.PermissionDenied, ex.ErrorId);
            Assert.Equal(TcpErrorCategory.PermissionDenied, ex.Category);
            Assert.Contains("CAP_NET_ADMIN", ex.Message);
            RemovalResult only = Assert.Single(seen); // the first row is reported, the second never tried
            Assert.Equal(RemovalOutcome.Failed, only.Outcome);
            Assert.Equal(ErrorIds.PermissionDenied, only.ErrorId);
            Assert.Equal(TcpState.TimeWait, Row(clientEnd, serverEnd)?.State);
            using var root = TcpRowRemoval.Open();
            Assert.True(root.Remove(key, out _).Removed); // leave the table as found
        }

        [Fact]
        public void ARowKeyNamesTheBadValue()
        {
            var ex = Assert.Throws<TcpCloseException>(() => new TcpRowKey("not-an-ip", 1, "127.0.0.1", 2, null, null, null));
            Assert.Equal(ErrorIds.InvalidAddress, ex.ErrorId);
            Assert.Contains("not-an-ip", ex.Message);
            ex = Assert.Throws<TcpCloseException>(() => new TcpRowKey("127.0.0.1", 70000, "127.0.0.1", 2, null, null, null));
            Assert.Equal(ErrorIds.InvalidPort, ex.ErrorId);
        }

        /// <summary>capget/capset for the calling thread only (the raw syscalls; glibc does not broadcast them).</summary>
        static class Capabilities
        {
            [DllImport("libc", SetLastError = true)]
            static extern int capget(ref CapHeader header, [In, Out] CapData[] data);

            [DllImport("libc", SetLastError = true)]
            static extern int capset(ref CapHeader header, CapData[] data);

            [StructLayout(LayoutKind.Sequential)]
            struct CapHeader
            {
                public uint Version;
                public int Pid;
            }

            [StructLayout(LayoutKind.Sequential)]
            struct CapData
            {
                public uint Effective;
                public uint Permitted;
                public uint Inheritable;
            }

            const uint LinuxCapabilityVersion3 = 0x20080522;
            const int CapNetAdmin = 12;

            public static void DropNetAdminFromThisThread()
            {
                var header = new CapHeader { Version = LinuxCapabilityVersion3 };
                var data = new CapData[2];
                Assert.Equal(0, capget(ref header, data));
                data[0].Effective &= ~(1u << CapNetAdmin);
                Assert.Equal(0, capset(ref header, data));
            }
        }
    }
}
