using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Runtime.InteropServices;

namespace TcpClose.Commands
{
    /// <summary>
    /// Tab completion for -NetworkNamespace: the `ip netns` names, then net:[INODE] for the namespaces
    /// without one. The list text names the namespace's first process ("net:[4026532301] sleep 4321").
    /// Nothing off Linux.
    /// </summary>
    public sealed class NetworkNamespaceCompleter : IArgumentCompleter
    {
        /// <summary>Called by PowerShell's completion engine.</summary>
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName,
            string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                return Enumerable.Empty<CompletionResult>();
            string word = SessionCompletion.Unquote(wordToComplete);
            return NetworkNamespaceSurvey.List(null, null, counts: false)
                .OrderBy(n => n.Name == null ? 1 : 0).ThenBy(n => n.Name, StringComparer.Ordinal)
                .Where(n => n.NetworkNamespace.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                // Quoted, not wildcard-escaped: -NetworkNamespace takes no wildcards, so net:[...] stays as it is.
                .Select(n => new CompletionResult(SessionCompletion.Quote(n.NetworkNamespace),
                    n.ProcessId.HasValue ? $"{n.NetworkNamespace} {n.ProcessName} {n.ProcessId}" : n.NetworkNamespace,
                    CompletionResultType.ParameterValue, n.IsCurrent ? n.NetworkNamespace + " (this session's)" : n.Path));
        }
    }
}
