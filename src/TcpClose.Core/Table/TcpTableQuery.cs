using System;
using System.Collections.Generic;
using System.Net;
using System.Runtime.CompilerServices;

namespace TcpClose
{
    /// <summary>A <see cref="TcpTableFilter"/> validated and turned into what rows are compared with.</summary>
    internal sealed class TcpTableQuery
    {
        readonly bool[] _states; // indexed by (int)TcpState; null = any
        readonly IPKey[] _local, _remote;
        readonly HashSet<int> _localPorts, _remotePorts, _pids;

        internal TcpTableQuery(TcpTableFilter filter, bool timeWaitOnly)
        {
            filter = filter ?? new TcpTableFilter();
            IReadOnlyList<TcpState> states = timeWaitOnly ? new[] { TcpState.TimeWait } : filter.States;
            States = states != null && states.Count > 0 ? states : null;
            if (States != null)
            {
                _states = new bool[(int)TcpState.Bound + 1];
                foreach (var s in States)
                    if ((int)s >= 0 && (int)s < _states.Length)
                        _states[(int)s] = true;
            }
            _local = Addresses(filter.LocalAddresses);
            _remote = Addresses(filter.RemoteAddresses);
            LocalPorts = Ports(filter.LocalPorts);
            RemotePorts = Ports(filter.RemotePorts);
            _localPorts = LocalPorts == null ? null : new HashSet<int>(LocalPorts);
            _remotePorts = RemotePorts == null ? null : new HashSet<int>(RemotePorts);
            Namespace = filter.NetworkNamespace;
            _pids = filter.OwningProcesses != null && filter.OwningProcesses.Count > 0 ? new HashSet<int>(Pids(filter.OwningProcesses)) : null;
        }

        internal IReadOnlyList<TcpState> States { get; }
        /// <summary>Where to read (null: the caller's own namespace).</summary>
        internal NetworkNamespace Namespace { get; }
        /// <summary>What rows of this read carry as NetworkNamespace.</summary>
        internal string NamespaceTag => NetworkNamespace.Tag(Namespace);
        internal IReadOnlyList<int> LocalPorts { get; }
        internal IReadOnlyList<int> RemotePorts { get; }
        internal bool FiltersPids => _pids != null;

        /// <summary>The PIDs asked for (-OwningProcess), when <see cref="FiltersPids"/>.</summary>
        internal IEnumerable<int> OwningPids => _pids;

        /// <summary>Everything but the PID test (the PID may need a lookup first).</summary>
        [MethodImpl(Jit.Hot)]
        internal bool Matches(ref RawTcpRow r)
        {
            if (_states != null && ((int)r.State < 0 || (int)r.State >= _states.Length || !_states[(int)r.State]))
                return false;
            if (_localPorts != null && !_localPorts.Contains(r.LocalPort))
                return false;
            if (_remotePorts != null && !_remotePorts.Contains(r.RemotePort))
                return false;
            if (_local != null && !Contains(_local, r.Local))
                return false;
            if (_remote != null && !Contains(_remote, r.Remote))
                return false;
            return true;
        }

        internal bool MatchesPid(int? pid) => _pids == null || (pid.HasValue && _pids.Contains(pid.Value));

        static bool Contains(IPKey[] set, IPKey k)
        {
            for (int i = 0; i < set.Length; i++)
                if (set[i].Equals(k))
                    return true;
            return false;
        }

        static IPKey[] Addresses(IReadOnlyList<string> texts)
        {
            if (texts == null || texts.Count == 0)
                return null;
            var keys = new IPKey[texts.Count];
            for (int i = 0; i < keys.Length; i++)
                keys[i] = IPKey.FromAddress(Endpoints.ParseLocal(texts[i], "address filter"));
            return keys;
        }

        static IEnumerable<int> Pids(IEnumerable<int> pids)
        {
            foreach (int pid in pids)
                if (pid < 0)
                    throw new TcpCloseException(ErrorIds.InvalidProcessId, TcpErrorCategory.InvalidArgument,
                        $"{pid} is not a valid process id filter: process ids are 0 or more ($PID is this PowerShell's).", pid);
            return pids;
        }

        static IReadOnlyList<int> Ports(IReadOnlyList<int> ports)
        {
            if (ports == null || ports.Count == 0)
                return null;
            foreach (int p in ports)
                Endpoints.CheckPort(p, "port filter", allowZero: true);
            return ports;
        }
    }

    /// <summary>Address text per distinct address within one read, so rows share their strings.</summary>
    internal sealed class AddressTextCache
    {
        /// <summary>Bounded: a table with more distinct peers than this formats the rest each time.</summary>
        const int MaxNames = 65536;
        const int RecentBits = 6;

        readonly Dictionary<IPKey, string> _names = new Dictionary<IPKey, string>();
        // A small direct-mapped cache in front of the dictionary: a table's rows repeat a few local
        // addresses (and, on loopback or behind a proxy, a few peers), and a slot hit costs a compare
        // where a dictionary lookup costs a hash and a call per row.
        readonly IPKey[] _recentKeys = new IPKey[1 << RecentBits];
        readonly string[] _recentTexts = new string[1 << RecentBits];

        [MethodImpl(Jit.Hot)]
        internal string Get(IPKey key)
        {
            int slot = (int)(((key.Hi ^ key.Lo) * 0x9E3779B97F4A7C15UL) >> (64 - RecentBits));
            string text = _recentTexts[slot];
            if (text != null && _recentKeys[slot].Equals(key))
                return text;
            if (!_names.TryGetValue(key, out text))
            {
                text = key.Format();
                if (_names.Count < MaxNames)
                    _names.Add(key, text);
            }
            _recentKeys[slot] = key;
            _recentTexts[slot] = text;
            return text;
        }
    }
}
