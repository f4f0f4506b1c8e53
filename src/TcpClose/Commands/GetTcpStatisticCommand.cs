using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace TcpClose.Commands
{
    /// <summary>
    /// Gets the kernel's counters of how TCP connections started and ended (resets sent, aborts on
    /// close, linger or data, listen-queue overflows, TIME_WAIT made, recycled or refused), one
    /// object per counter, with the change since an earlier reading (-Since).
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "TcpStatistic")]
    [OutputType(typeof(TcpStatistic))]
    public sealed class GetTcpStatisticCommand : TcpCmdlet
    {
        #region Parameters

        /// <summary>Only the counters whose Name or KernelName matches one of these; wildcards are allowed. Searches every counter, not only the default set.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(TcpStatisticNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>Every TCP counter the OS has, not only those about how connections start and end.</summary>
        [Parameter]
        public SwitchParameter All { get; set; }

        /// <summary>An earlier reading (the output of Get-TcpStatistic): each counter gets Delta and PerSecond since then.</summary>
        [Parameter]
        public PSObject[] Since { get; set; }

        /// <summary>Linux: read the counters of this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        private List<TcpStatistics.Earlier> _since;

        #region Overrides

        protected override void BeginProcessing()
        {
            if (Since == null)
            {
                return;
            }

            // Checked before anything is read: each item must be a counter reading.
            _since = new List<TcpStatistics.Earlier>();
            foreach (PSObject item in Since.Where(i => i != null))
            {
                string kernel = PropertyText(item, "KernelName");
                long v = 0;
                DateTime at = default;
                if (kernel == null || !long.TryParse(PropertyText(item, "Value"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v)
                    || !DateTime.TryParse(PropertyText(item, "ObservedAt"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out at))
                {
                    ThrowTcpError(new TcpCloseException(ErrorIds.InvalidSince, TcpErrorCategory.InvalidArgument,
                        $"-Since takes the output of an earlier Get-TcpStatistic (objects with KernelName, Value and ObservedAt); '{item}' is not one.", item.BaseObject));
                    return;
                }

                _since.Add(new TcpStatistics.Earlier
                {
                    KernelName = kernel,
                    Value = v,
                    ObservedAt = at,
                    ComputerName = PropertyText(item, "ComputerName"),
                    NetworkNamespaceId = long.TryParse(PropertyText(item, "NetworkNamespaceId"), NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : (long?)null,
                });
            }
        }

        protected override void ProcessRecord()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
            {
                return;
            }

            IReadOnlyList<TcpStatistic> all;
            try
            {
                all = TcpStatistics.Read(ns);
                TcpStatistics.Since(all, _since);
            }
            catch (TcpCloseException ex)
            {
                ThrowTcpError(ex);
                return;
            }

            if (Name == null || Name.Length == 0)
            {
                foreach (TcpStatistic s in all.Where(s => All || TcpStatistics.IsDefault(s)))
                {
                    WriteObject(s);
                }

                return;
            }

            var patterns = Name.Select(n => new WildcardPattern(n ?? "", WildcardOptions.IgnoreCase)).ToList();
            foreach (TcpStatistic s in all.Where(s => patterns.Any(p => p.IsMatch(s.Name) || p.IsMatch(s.KernelName))))
            {
                WriteObject(s);
            }

            // Like Get-TcpSetting: a plain name that matches nothing is an error, a wildcard is not.
            foreach (string name in Name.Where(n => n != null && !WildcardPattern.ContainsWildcardCharacters(n)))
            {
                if (!all.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase) || string.Equals(s.KernelName, name, StringComparison.OrdinalIgnoreCase)))
                {
                    WriteTcpError(new TcpCloseException(ErrorIds.StatisticNotFound, TcpErrorCategory.ObjectNotFound,
                        $"This OS has no TCP counter named '{name}'. Get-TcpStatistic -All lists the {all.Count} there are; -Name takes wildcards, such as *Abort*.",
                        name));
                }
            }
        }

        #endregion
    }

    /// <summary>Tab completion of the counter names of this OS (Name and KernelName).</summary>
    public sealed class TcpStatisticNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            IReadOnlyList<TcpStatistic> all;
            try
            {
                all = TcpStatistics.Read(null);
            }
            catch (TcpCloseException)
            {
                yield break;
            }

            var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
            foreach (TcpStatistic s in all.Where(s => pattern.IsMatch(s.Name)))
            {
                yield return new CompletionResult(s.Name, s.Name, CompletionResultType.ParameterValue, s.Description);
            }
        }
    }
}
