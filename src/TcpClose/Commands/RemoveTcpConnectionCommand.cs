using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// Removes rows of the OS TCP table that this process need not own (TIME_WAIT rows, connections,
    /// listeners), as ss -K does: rows piped from Get-TcpConnection or Get-TcpTimeWait, or the rows
    /// matching Get-TcpConnection's filters. One result per row.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "TcpConnection", DefaultParameterSetName = FilterSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(RemovalResult))]
    public sealed class RemoveTcpConnectionCommand : TcpCmdlet, IDisposable
    {
        private const string FilterSet = "Filter";
        private const string InputSet = "InputObject";

        private TcpRowRemoval _removal;          // where the pending rows go: this namespace's, or the one of the rows piped in
        private TcpRowRemoval _own;
        private readonly Dictionary<long, TcpRowRemoval> _byNamespace = new Dictionary<long, TcpRowRemoval>();
        private readonly Dictionary<string, NetworkNamespace> _resolved = new Dictionary<string, NetworkNamespace>();
        private readonly List<TcpRowKey> _pending = new List<TcpRowKey>(TcpRowRemoval.BatchSize);

        #region Parameters

        /// <summary>Rows to remove: the objects Get-TcpConnection and Get-TcpTimeWait write, their deserialized or CSV form, or any object with LocalAddress, LocalPort, RemoteAddress, RemotePort and State. Accepts pipeline input.</summary>
        [Parameter(ParameterSetName = InputSet, Mandatory = true, ValueFromPipeline = true)]
        public PSObject[] InputObject { get; set; }

        /// <summary>Remove only rows in these states (Listen, Established, TimeWait...).</summary>
        [Parameter(ParameterSetName = FilterSet)]
        public TcpState[] State { get; set; }

        /// <summary>Remove only rows with one of these local addresses.</summary>
        [Parameter(ParameterSetName = FilterSet)]
        public string[] LocalAddress { get; set; }

        /// <summary>Remove only rows with one of these local ports.</summary>
        [Parameter(ParameterSetName = FilterSet)]
        public int[] LocalPort { get; set; }

        /// <summary>Remove only rows with one of these remote addresses.</summary>
        [Parameter(ParameterSetName = FilterSet)]
        public string[] RemoteAddress { get; set; }

        /// <summary>Remove only rows with one of these remote ports.</summary>
        [Parameter(ParameterSetName = FilterSet)]
        public int[] RemotePort { get; set; }

        /// <summary>Remove only rows owned by one of these process ids.</summary>
        [Parameter(ParameterSetName = FilterSet)]
        public int[] OwningProcess { get; set; }

        /// <summary>Linux: remove rows of this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Rows piped in are removed where they were read (their NetworkNamespace); this applies to rows that do not say. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        #region Overrides

        protected override void BeginProcessing()
        {
            // One netlink socket for the whole pipeline; PlatformNotSupported stops the command here.
            try
            {
                _own = _removal = TcpRowRemoval.Open();
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }
        }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == InputSet)
            {
                foreach (PSObject item in InputObject)
                {
                    TcpRowKey key = ToKey(item);
                    // A row is removed where it was read; one that does not say, where -NetworkNamespace says.
                    if (key == null || !TryUse(PropertyText(item, "NetworkNamespace") ?? NetworkNamespace))
                    {
                        continue;
                    }

                    if (ConfirmRemoval(key))
                    {
                        _pending.Add(key);
                        if (_pending.Count >= TcpRowRemoval.BatchSize)
                        {
                            Flush();
                        }
                    }
                }

                return;
            }

            // Here, not in BeginProcessing: downstream of a pipeline that wrote nothing, ProcessRecord never runs.
            if (State == null && LocalAddress == null && LocalPort == null && RemoteAddress == null && RemotePort == null && OwningProcess == null)
            {
                ThrowTcpError(new TcpCloseException(ErrorIds.FilterRequired, TcpErrorCategory.InvalidArgument,
                    "Remove-TcpConnection needs rows or at least one filter (-State, -LocalAddress, -LocalPort, -RemoteAddress, -RemotePort, -OwningProcess), so that nothing removes the whole TCP table by accident. Example: Get-TcpTimeWait -LocalPort 8080 | Remove-TcpConnection",
                    null));
            }

            // The -WhatIf/-Confirm target names the owner of each connection, found when it is named
            // (TIME_WAIT rows have none and cost nothing).
            if (!TryUse(NetworkNamespace))
            {
                return;
            }

            TcpTableFilter filter = TcpTableFilter.For(State, LocalAddress, LocalPort, RemoteAddress, RemotePort, OwningProcess);
            filter.OnWarning = WriteWarning;
            filter.NetworkNamespace = _namespace;

            // Read every matching row before removing any: a netlink dump resumes by position in a hash
            // bucket, so destroying rows while it runs could make it skip others.
            var rows = new List<TcpTableEntry>();
            try
            {
                rows.AddRange(TcpTable.Read(filter));
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }

            WriteVerbose($"{rows.Count} row(s) match.");
            foreach (TcpTableEntry row in rows)
            {
                TcpRowKey key = TcpRowKey.From(row);
                if (ConfirmRemoval(key))
                {
                    _pending.Add(key);
                }
            }

            Flush();
        }

        protected override void EndProcessing()
        {
            Flush();
            Dispose();
        }

        protected override void StopProcessing()
        {
            base.StopProcessing();
            Dispose();
        }

        public void Dispose()
        {
            _own?.Dispose();
            foreach (TcpRowRemoval removal in _byNamespace.Values)
            {
                removal.Dispose();
            }
        }

        private NetworkNamespace _namespace;

        /// <summary>
        /// Sends the rows that follow to the namespace named by <paramref name="text"/> (null: this
        /// session's own), flushing the rows pending for another one first. False when that namespace
        /// is not there (reported, the row skipped); bad text and PermissionDenied stop the command.
        /// </summary>
        private bool TryUse(string text)
        {
            string key = string.IsNullOrEmpty(text) ? "" : text;
            if (!_resolved.TryGetValue(key, out NetworkNamespace ns))
            {
                if (!TryResolveNamespace(key.Length == 0 ? null : text, out ns))
                {
                    return false;
                }

                _resolved[key] = ns;
            }

            TcpRowRemoval removal = _own;
            if (ns != null && !ns.IsCurrent && !_byNamespace.TryGetValue(ns.Id, out removal))
            {
                try
                {
                    removal = TcpRowRemoval.Open(ns);
                }
                catch (TcpCloseException ex)
                {
                    ThrowTcpError(ex);
                }

                _byNamespace[ns.Id] = removal;
            }

            if (!ReferenceEquals(removal, _removal))
            {
                Flush();
                _removal = removal;
            }

            _namespace = ns;
            return true;
        }

        #endregion

        private bool ConfirmRemoval(TcpRowKey key)
        {
            string what = key.State == TcpState.TimeWait ? "Remove TIME_WAIT row"
                : key.State == TcpState.Listen ? "Remove (close the listener; its owner's accept fails)"
                : "Remove (abort the connection: its owner's next call fails, the peer gets RST)";
            string owner = key.Row is TcpTableEntry e && e.OwningProcess.HasValue
                ? $" owned by process {e.OwningProcess}{(string.IsNullOrEmpty(e.ProcessName) ? "" : $" ({e.ProcessName})")}"
                : "";
            string where = _namespace != null ? $" in network namespace {_namespace.DisplayName}" : "";
            return ShouldProcess(key + owner + where, what);
        }

        private void Flush()
        {
            if (_pending.Count == 0 || StopToken.IsCancellationRequested)
            {
                _pending.Clear();
                return;
            }

            try
            {
                _removal.Remove(_pending, (result, error) =>
                {
                    // Said where the user looks, not only in a property: a removed listener whose
                    // port stays bound until its owner closes the socket.
                    if (result.Note != null)
                    {
                        WriteWarning(result.Note);
                    }
                    WriteObject(result);
                    if (error != null)
                    {
                        WriteTcpError(error);
                    }
                });
            }
            catch (ObjectDisposedException) when (StopToken.IsCancellationRequested)
            {
                // Ctrl+C closed the netlink socket: the rows not yet sent stay.
            }
            catch (TcpCloseException ex)
            {
                // PermissionDenied, RemoveNotSupported: no row can be removed by this process.
                ThrowTcpError(ex);
            }
            finally
            {
                _pending.Clear();
            }
        }

        /// <summary>A piped object as a row key; a non-terminating InvalidRow error when it does not name a row.</summary>
        private TcpRowKey ToKey(PSObject item)
        {
            object baseObject = item?.BaseObject;
            try
            {
                if (baseObject is TcpTableEntry entry)
                {
                    return TcpRowKey.From(entry);
                }

                if (baseObject is TimeWaitEntry timeWait)
                {
                    return TcpRowKey.From(timeWait);
                }

                // A row read on another computer names a socket there, not here: never remove its look-alike.
                string computer = PropertyText(item, "PSComputerName");
                if (!string.IsNullOrEmpty(computer) && !IsThisComputer(computer))
                {
                    WriteTcpError(new TcpCloseException(ErrorIds.InvalidRow, TcpErrorCategory.InvalidArgument,
                        $"The row '{item}' was read on {computer}, not on this computer: remove it there, e.g. Invoke-Command -ComputerName {computer} {{ Get-TcpTimeWait -LocalPort 8080 | Remove-TcpConnection -Confirm:$false }}.",
                        baseObject));
                    return null;
                }

                // Deserialized rows (remoting, Import-Clixml), Import-Csv rows, Get-NetTCPConnection objects.
                string localAddress = PropertyText(item, "LocalAddress");
                string remoteAddress = PropertyText(item, "RemoteAddress");
                int? localPort = Number(item, "LocalPort");
                int? remotePort = Number(item, "RemotePort");
                if (localAddress == null || remoteAddress == null || localPort == null || remotePort == null)
                {
                    WriteTcpError(new TcpCloseException(ErrorIds.InvalidRow, TcpErrorCategory.InvalidArgument,
                        $"'{item}' does not name a row of the TCP table: give the rows Get-TcpConnection or Get-TcpTimeWait write, or objects with LocalAddress, LocalPort, RemoteAddress and RemotePort (and State).",
                        baseObject));
                    return null;
                }

                long? inode = long.TryParse(PropertyText(item, "Inode"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long i) ? i : (long?)null;
                return new TcpRowKey(localAddress, localPort.Value, remoteAddress, remotePort.Value, StateOf(item), inode, baseObject);
            }
            catch (TcpCloseException ex)
            {
                WriteTcpError(ex);
                return null;
            }
        }

        private static bool IsThisComputer(string name) =>
            string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase) || name == "." || name == "127.0.0.1" || name == "::1"
            || string.Equals(name, Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            || name.StartsWith(Environment.MachineName + ".", StringComparison.OrdinalIgnoreCase);

        private static int? Number(PSObject item, string name)
        {
            string text = PropertyText(item, name);
            return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : (int?)null;
        }

        /// <summary>The row's State as a TcpState (name or Get-NetTCPConnection's number); null when absent or another kind of state.</summary>
        private static TcpState? StateOf(PSObject item)
        {
            string text = PropertyText(item, "State");
            if (text == null)
            {
                return null;
            }

            if (int.TryParse(text, out int number))
            {
                return Enum.IsDefined(typeof(TcpState), number) ? (TcpState)number : (TcpState?)null;
            }

            return Enum.TryParse(text, true, out TcpState state) && Enum.IsDefined(typeof(TcpState), state) ? state : (TcpState?)null;
        }
    }
}
