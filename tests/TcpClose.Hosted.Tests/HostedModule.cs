using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace TcpClose.Hosted.Tests;

/// <summary>
/// One runspace with TcpClose imported from this test's output folder, shared by the tests of the
/// "Hosted module" collection (they run one after another). Each test runs its script in a new
/// <see cref="PowerShell"/> on it and reads the output and the error stream as a host would.
/// </summary>
public sealed class HostedModule : IDisposable
{
    public HostedModule()
    {
        // CreateDefault2: the core commands only, as the engine loads them on demand; the module is
        // imported by its manifest so FormatsToProcess and CmdletsToExport apply as for a user.
        // (Setting an execution policy in the session state throws PlatformNotSupported on Linux.)
        InitialSessionState state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(new[] { ManifestPath });
        Runspace = RunspaceFactory.CreateRunspace(state);
        Runspace.Open();
        using PowerShell check = PowerShell.Create();
        check.Runspace = Runspace;
        check.AddScript("(Get-Module TcpClose).Path");
        Collection<PSObject> loaded = check.Invoke();
        if (loaded.Count != 1)
        {
            throw new InvalidOperationException($"TcpClose was not imported from {ManifestPath}: {string.Join("; ", check.Streams.Error)}");
        }
    }

    /// <summary>The manifest beside the assemblies this test project references (and coverlet instruments).</summary>
    public static string ManifestPath => Path.Combine(AppContext.BaseDirectory, "TcpClose.psd1");

    public Runspace Runspace { get; }

    /// <summary>Runs a script; returns its output and the non-terminating errors it wrote.</summary>
    public (Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) Run(string script, params object[] arguments)
    {
        using PowerShell shell = PowerShell.Create();
        shell.Runspace = Runspace;
        shell.AddScript(script);
        foreach (object argument in arguments)
        {
            shell.AddArgument(argument);
        }
        Collection<PSObject> output = shell.Invoke();
        return (output, shell.Streams.Error.ToList());
    }

    /// <summary>
    /// Runs a script that must stop with a terminating error (one try/catch catches, as a user's
    /// script would); returns that error record.
    /// </summary>
    public ErrorRecord RunExpectingFailure(string script, params object[] arguments)
    {
        var (output, errors) = Run($"try {{ {script}; 'no terminating error' }} catch {{ $_ }}", arguments);
        PSObject result = Assert.Single(output);
        return result.BaseObject as ErrorRecord
            ?? throw new Xunit.Sdk.XunitException($"'{script}' did not fail terminating: {result}; errors: {string.Join("; ", errors)}");
    }

    public void Dispose()
    {
        // Closes every listener and connection the tests left, as Remove-Module does for a user.
        Run("Remove-Module TcpClose");
        Runspace.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class HostedModuleCollection : ICollectionFixture<HostedModule>
{
    public const string Name = "Hosted module";
}
