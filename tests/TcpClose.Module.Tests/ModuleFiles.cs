using System.Reflection;

namespace TcpClose.Module.Tests;

/// <summary>Where the repository's module files are, found from the test's own location.</summary>
internal static class ModuleFiles
{
    public static readonly string RepoRoot = FindRepoRoot();

    public static string Manifest => Path.Combine(RepoRoot, "TcpClose.psd1");

    public static string FormatFile => Path.Combine(RepoRoot, "src", "TcpClose", "TcpClose.Format.ps1xml");

    public static string DocsDirectory => Path.Combine(RepoRoot, "docs", "en-US");

    /// <summary>The PowerShellStandard.Library reference assembly copied beside the tests (see the csproj).</summary>
    public static string PowerShellReference => Path.Combine(AppContext.BaseDirectory, "ref", "System.Management.Automation.dll");

    /// <summary>
    /// src/TcpClose/bin/&lt;Configuration&gt;/netstandard2.0/TcpClose.dll, in the configuration this test
    /// assembly was built in (the ProjectReference builds it alongside); the newest build otherwise.
    /// </summary>
    public static string CmdletAssembly
    {
        get
        {
            string bin = Path.Combine(RepoRoot, "src", "TcpClose", "bin");
            string configuration = typeof(ModuleFiles).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            string expected = Path.Combine(bin, configuration, "netstandard2.0", "TcpClose.dll");
            if (File.Exists(expected))
            {
                return expected;
            }

            var newest = Directory.Exists(bin)
                ? Directory.EnumerateFiles(bin, "TcpClose.dll", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
                : null;
            return newest ?? throw new FileNotFoundException(
                $"TcpClose.dll not found under {bin}; build src/TcpClose first (dotnet build src/TcpClose -c {configuration}).", expected);
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TcpClose.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No TcpClose.sln above {AppContext.BaseDirectory}.");
    }
}
