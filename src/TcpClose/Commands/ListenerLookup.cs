using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace TcpClose.Commands
{
    /// <summary>
    /// How Get-TcpListener and Stop-TcpListener find listeners by -Id and -Name, so the two agree:
    /// names match case-insensitively with wildcards; an explicit id, or a name without wildcards,
    /// that matches nothing is a ListenerNotFound error (a pattern that matches nothing is not).
    /// </summary>
    internal static class ListenerLookup
    {
        internal static TcpCloseException NotFound(object idOrName) =>
            new TcpCloseException(ErrorIds.ListenerNotFound, TcpErrorCategory.ObjectNotFound,
                $"No running listener '{idOrName}' was started in this session. Get-TcpListener lists the running ones.",
                idOrName);

        internal static IEnumerable<Listener> ById(IEnumerable<int> ids, Action<TcpCloseException> notFound)
        {
            foreach (int id in ids)
            {
                Listener listener = TcpRegistry.FindListener(id);
                if (listener == null)
                {
                    notFound(NotFound(id));
                }
                else
                {
                    yield return listener;
                }
            }
        }

        /// <summary>All running listeners when <paramref name="names"/> is null or empty.</summary>
        internal static IEnumerable<Listener> ByName(IEnumerable<string> names, Action<TcpCloseException> notFound)
        {
            // A copy: Stop-TcpListener stops (and so unregisters) listeners while this is enumerated.
            var running = new List<Listener>(TcpRegistry.Listeners);
            if (names == null)
            {
                foreach (Listener listener in running)
                {
                    yield return listener;
                }

                yield break;
            }

            var seen = new HashSet<int>();
            foreach (string name in names)
            {
                var pattern = WildcardPattern.Get(name ?? string.Empty, WildcardOptions.IgnoreCase);
                bool any = false;
                foreach (Listener listener in running)
                {
                    if (pattern.IsMatch(listener.Name ?? string.Empty))
                    {
                        any = true;
                        if (seen.Add(listener.Id))
                        {
                            yield return listener;
                        }
                    }
                }

                if (!any && !WildcardPattern.ContainsWildcardCharacters(name))
                {
                    notFound(NotFound(name));
                }
            }
        }
    }
}
