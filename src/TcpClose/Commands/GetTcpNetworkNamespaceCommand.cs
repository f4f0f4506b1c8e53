using System.Linq;
using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// Lists every network namespace on the host (containers, pods, `ip netns` names) with its first
    /// process, its container id and the counts of its TCP table. Its objects pipe into every cmdlet
    /// that takes -NetworkNamespace.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "TcpNetworkNamespace", DefaultParameterSetName = NameSet)]
    [OutputType(typeof(TcpNetworkNamespace))]
    public sealed class GetTcpNetworkNamespaceCommand : TcpCmdlet
    {
        private const string NameSet = "Name";
        private const string IdSet = "Id";

        #region Parameters

        /// <summary>Only the namespaces whose `ip netns` name matches one of these; wildcards are allowed. A namespace without a name matches none.</summary>
        [Parameter(ParameterSetName = NameSet, Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string[] Name { get; set; }

        /// <summary>Only the namespaces with one of these ids (the inode in net:[INODE], as lsns shows it).</summary>
        [Parameter(ParameterSetName = IdSet, Mandatory = true)]
        public long[] Id { get; set; }

        #endregion

        #region Overrides

        protected override void EndProcessing()
        {
            var patterns = Name?.Where(n => n != null).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            var found = new System.Collections.Generic.List<TcpNetworkNamespace>();
            try
            {
                NetworkNamespace.CheckPlatform(string.Join(", ", (Name ?? new string[0]).Concat((Id ?? new long[0]).Select(i => NetworkNamespace.Text(i)))));

                foreach (TcpNetworkNamespace ns in NetworkNamespaceSurvey.List(
                    patterns == null ? null : (System.Func<string, bool>)(n => n != null && patterns.Any(p => p.IsMatch(n))), Id))
                {
                    found.Add(ns);
                    WriteObject(ns);
                }
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
            }

            if (!NetworkNamespace.IsRoot && found.Count > 0)
            {
                WriteWarning("Not root: only this user's processes are seen, and only this session's own namespace is counted (the other counts are empty).");
            }

            // Like Get-Service: a plain name or an id that matches nothing is an error, a wildcard is not.
            foreach (string name in (Name ?? new string[0]).Where(n => n != null && !WildcardPattern.ContainsWildcardCharacters(n)))
            {
                if (!found.Any(f => string.Equals(f.Name, name, System.StringComparison.OrdinalIgnoreCase)))
                {
                    WriteTcpError(new TcpCloseException(ErrorIds.NetworkNamespaceNotFound, TcpErrorCategory.ObjectNotFound,
                        $"No network namespace is named '{name}' (the names are the files under /run/netns). Get-TcpNetworkNamespace without -Name lists them all.", name));
                }
            }

            foreach (long id in Id ?? new long[0])
            {
                if (!found.Any(f => f.Id == id))
                {
                    WriteTcpError(new TcpCloseException(ErrorIds.NetworkNamespaceNotFound, TcpErrorCategory.ObjectNotFound,
                        $"No network namespace has id {id} ({NetworkNamespace.Text(id)}): no process lives in it and no file under /run/netns or Docker's netns folder pins it.", id));
                }
            }
        }

        #endregion
    }
}
