using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace TcpClose.Commands
{
    /// <summary>
    /// Tab completion of this session's running listeners (from <see cref="TcpRegistry"/>): Ids for
    /// -Id and for -Listener (which takes an Id, see <see cref="ListenerTransformationAttribute"/>),
    /// names for -Name, or for -Listener when the word typed is not a number. Each entry's list text
    /// reads "12 web 127.0.0.1:8080 Listening"; the tooltip is the listener's ToString().
    /// </summary>
    /// <remarks>IArgumentCompleter exists in Windows PowerShell 5.1 as well as in PowerShell 7.</remarks>
    public sealed class ListenerCompleter : IArgumentCompleter
    {
        /// <summary>Called by PowerShell's completion engine.</summary>
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName,
            string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string word = SessionCompletion.Unquote(wordToComplete);
            bool byName = string.Equals(parameterName, "Name", StringComparison.OrdinalIgnoreCase)
                || (!string.Equals(parameterName, "Id", StringComparison.OrdinalIgnoreCase) && word.Length > 0 && !char.IsDigit(word[0]));
            foreach (Listener listener in TcpRegistry.Listeners)
            {
                string listItem = $"{listener.Id} {(string.IsNullOrEmpty(listener.Name) ? "-" : listener.Name)} {SessionCompletion.Endpoint(listener.LocalAddress, listener.LocalPort)} {listener.State}";
                if (!byName)
                {
                    if (SessionCompletion.IdMatches(listener.Id, word))
                    {
                        yield return new CompletionResult(listener.Id.ToString(), listItem, CompletionResultType.ParameterValue, listener.ToString());
                    }
                }
                else if (!string.IsNullOrEmpty(listener.Name) && SessionCompletion.NameMatches(listener.Name, word))
                {
                    yield return new CompletionResult(SessionCompletion.QuoteName(listener.Name), listItem, CompletionResultType.ParameterValue, listener.ToString());
                }
            }
        }
    }

    /// <summary>
    /// Tab completion of this session's open connections by Id, for every -Connection parameter
    /// (which takes an Id, see <see cref="ConnectionTransformationAttribute"/>). Each entry's list
    /// text reads "3 Client 127.0.0.1:50412 -> 127.0.0.1:8080 Open".
    /// </summary>
    public sealed class ConnectionCompleter : IArgumentCompleter
    {
        /// <summary>Called by PowerShell's completion engine.</summary>
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName,
            string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string word = SessionCompletion.Unquote(wordToComplete);
            return TcpRegistry.Connections
                .Where(c => SessionCompletion.IdMatches(c.Id, word))
                .Select(c => new CompletionResult(c.Id.ToString(),
                    $"{c.Id} {c.Role} {SessionCompletion.Endpoint(c.LocalAddress, c.LocalPort)} -> {SessionCompletion.Endpoint(c.RemoteAddress, c.RemotePort)} {c.State}",
                    CompletionResultType.ParameterValue, c.ToString()));
        }
    }

    /// <summary>
    /// Lets a -Listener parameter take a running listener's Id (a number) or exact Name (text) as
    /// well as the object, so what Tab completes binds: <c>Wait-TcpConnection -Listener 12</c>.
    /// Objects pass through unchanged.
    /// </summary>
    public sealed class ListenerTransformationAttribute : ArgumentTransformationAttribute
    {
        /// <summary>Called by the parameter binder.</summary>
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
            SessionCompletion.TransformEach(inputData, Find);

        private static object Find(object value)
        {
            if (SessionCompletion.TryGetId(value, out int id))
            {
                return TcpRegistry.FindListener(id)
                    ?? throw new ArgumentTransformationMetadataException(
                        $"No running listener has Id {id} in this session. Get-TcpListener lists the running ones.");
            }

            if (value is string name)
            {
                List<Listener> named = TcpRegistry.Listeners.Where(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
                if (named.Count == 1)
                {
                    return named[0];
                }

                throw new ArgumentTransformationMetadataException(named.Count == 0
                    ? $"No running listener is named '{name}' in this session. Get-TcpListener lists the running ones."
                    : $"{Plural.Of(named.Count, "running listener")} are named '{name}': give the Id instead ({string.Join(", ", named.Select(l => l.Id))}).");
            }

            return value;
        }
    }

    /// <summary>
    /// Lets a -Connection parameter take an open connection's Id (a number) as well as the object,
    /// so what Tab completes binds: <c>Close-TcpConnection 3 -Abort</c>. Anything else passes
    /// through unchanged (so <c>$c | Send-TcpData 'ping'</c> still binds 'ping' as the text).
    /// </summary>
    public sealed class ConnectionTransformationAttribute : ArgumentTransformationAttribute
    {
        /// <summary>Called by the parameter binder.</summary>
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
            SessionCompletion.TransformEach(inputData, value =>
                SessionCompletion.TryGetId(value, out int id)
                    ? TcpRegistry.FindConnection(id)
                        ?? throw new ArgumentTransformationMetadataException(
                            $"No open connection has Id {id} in this session: it was never opened here or is closed already.")
                    : value);
    }

    /// <summary>The text rules the completers and transformations share.</summary>
    internal static class SessionCompletion
    {
        /// <summary>The word typed so far without its quotes (PowerShell passes an unclosed 'we as 'we').</summary>
        internal static string Unquote(string word)
        {
            word = word ?? string.Empty;
            if (word.Length > 0 && (word[0] == '\'' || word[0] == '"'))
            {
                char quote = word[0];
                word = word.Substring(1);
                if (word.Length > 0 && word[word.Length - 1] == quote)
                {
                    word = word.Substring(0, word.Length - 1);
                }

                return quote == '\'' ? word.Replace("''", "'") : word;
            }

            return word;
        }

        internal static bool IdMatches(int id, string word) => id.ToString().StartsWith(word, StringComparison.Ordinal);

        internal static bool NameMatches(string name, string word) =>
            name.StartsWith(word, StringComparison.OrdinalIgnoreCase)
            || (WildcardPattern.ContainsWildcardCharacters(word) && WildcardPattern.Get(word + "*", WildcardOptions.IgnoreCase).IsMatch(name));

        /// <summary>
        /// A name as completion text: wildcard characters escaped (-Name takes patterns), then quoted
        /// as <see cref="Quote"/> does.
        /// </summary>
        internal static string QuoteName(string name) => Quote(WildcardPattern.Escape(name));

        /// <summary>
        /// Completion text for a literal argument: bare where PowerShell reads the word as one string
        /// (letters, digits, '-', '_' and '.', not starting with a digit or '-'), else single-quoted
        /// (a space would split it).
        /// </summary>
        internal static string Quote(string text)
        {
            bool bare = text.Length > 0 && text.All(ch => char.IsLetterOrDigit(ch) || ch == '-' || ch == '_' || ch == '.')
                && !char.IsDigit(text[0]) && text[0] != '-';
            return bare ? text : "'" + CodeGeneration.EscapeSingleQuotedStringContent(text) + "'";
        }

        internal static string Endpoint(string address, int port) =>
            address != null && address.IndexOf(':') >= 0 ? $"[{address}]:{port}" : $"{address}:{port}";

        /// <summary>A whole number that fits an Id: what the parser makes of a typed 12.</summary>
        internal static bool TryGetId(object value, out int id)
        {
            switch (value)
            {
                case int i:
                    id = i;
                    return true;
                case long l when l >= int.MinValue && l <= int.MaxValue:
                    id = (int)l;
                    return true;
                case short s:
                    id = s;
                    return true;
                case byte b:
                    id = b;
                    return true;
                default:
                    id = 0;
                    return false;
            }
        }

        /// <summary>Applies <paramref name="one"/> to a value or to each element of an array (the [] parameters).</summary>
        internal static object TransformEach(object inputData, Func<object, object> one)
        {
            object data = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (data is object[] array)
            {
                return array.Select(item => one(item is PSObject p ? p.BaseObject : item)).ToArray();
            }

            object result = one(data);
            return ReferenceEquals(result, data) ? inputData : result;
        }
    }
}
