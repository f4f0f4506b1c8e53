using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace TcpClose.Commands
{
    /// <summary>Gets the OS settings that decide how long TIME_WAIT lasts and which ports new connections can use.</summary>
    [Cmdlet(VerbsCommon.Get, "TcpSetting")]
    [OutputType(typeof(TcpSetting))]
    public sealed class GetTcpSettingCommand : TcpCmdlet
    {
        private IReadOnlyList<TcpSetting> _settings;
        private long? _settingsOf;   // the namespace id they were read in (0: this session's own)

        #region Parameters

        /// <summary>Only the settings whose names match one of these; wildcards are allowed.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(TcpSettingNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>Linux: read the settings in this network namespace: an `ip netns` name, a namespace file (/proc/PID/ns/net, /run/netns/NAME), a process id, or net:[INODE]. Binds by property name from Get-TcpNetworkNamespace and from the module's own rows.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NetworkNamespaceCompleter))]
        public string NetworkNamespace { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessRecord()
        {
            if (!TryResolveNamespace(NetworkNamespace, out NetworkNamespace ns))
                return;
            // Read once per namespace: names piped one by one take them from the same reading.
            if (_settingsOf != (ns?.Id ?? 0))
            {
                try
                {
                    _settings = TcpSettings.Read(ns);
                    _settingsOf = ns?.Id ?? 0;
                }
                catch (TcpCloseException ex)
                {
                    ThrowTcpError(ex);
                }
            }

            // A namespace piped from Get-TcpNetworkNamespace binds its Name here as well as its
            // NetworkNamespace (the same text): that name is the namespace's, not a setting's.
            bool namespaceName = Name != null && Name.Length == 1 && NetworkNamespace != null && Name[0] == NetworkNamespace;
            if (Name == null || Name.Length == 0 || namespaceName)
            {
                WriteObject(_settings, enumerateCollection: true);
                return;
            }

            var patterns = Name.Select(n => new WildcardPattern(n ?? "", WildcardOptions.IgnoreCase)).ToList();
            foreach (TcpSetting setting in _settings.Where(s => patterns.Any(p => p.IsMatch(s.Name))))
            {
                WriteObject(setting);
            }

            // Like Get-Service: a plain name that matches nothing is an error, a wildcard is not.
            foreach (string name in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)))
            {
                if (!_settings.Any(s => string.Equals(s.Name, name, System.StringComparison.OrdinalIgnoreCase)))
                {
                    WriteTcpError(new TcpCloseException(ErrorIds.SettingNotFound, TcpErrorCategory.ObjectNotFound,
                        $"This OS has no TCP setting named '{name}'. The settings here are: {string.Join(", ", _settings.Select(s => s.Name))}.",
                        name));
                }
            }
        }

        #endregion
    }

    /// <summary>Tab completion for Get-TcpSetting -Name: the setting names of this OS.</summary>
    public sealed class TcpSettingNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
            return TcpSettings.Names.Where(n => pattern.IsMatch(n))
                .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
        }
    }
}
