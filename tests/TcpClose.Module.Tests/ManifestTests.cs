using System.Text.RegularExpressions;
using Xunit;

namespace TcpClose.Module.Tests;

public class ManifestTests
{
    private readonly Manifest _manifest = Manifest.Load();

    [Fact]
    public void CmdletsToExport_IsExactlyTheCmdletsOfTheAssembly()
    {
        var exported = _manifest.List("CmdletsToExport");
        Assert.NotNull(exported);
        Assert.Equal(AssemblyMetadata.Cmdlets.Select(c => c.Name).OrderBy(n => n), exported!.OrderBy(n => n));
    }

    [Theory]
    [InlineData("FunctionsToExport")]
    [InlineData("AliasesToExport")]
    [InlineData("VariablesToExport")]
    public void OtherExportLists_AreEmpty_NotLeftOutWhichMeansEverything(string key)
    {
        var list = _manifest.List(key);
        Assert.True(list != null, $"{key} missing from TcpClose.psd1 (a missing list exports '*')");
        Assert.Empty(list!);
    }

    [Fact]
    public void RootModule_IsTheCmdletAssembly()
    {
        Assert.Equal("TcpClose.dll", _manifest.Value("RootModule"));
    }

    [Fact]
    public void FormatsToProcess_NamesTheFormatFile_WhichExists()
    {
        Assert.Equal(new[] { "TcpClose.Format.ps1xml" }, _manifest.List("FormatsToProcess"));
        Assert.True(File.Exists(ModuleFiles.FormatFile), ModuleFiles.FormatFile);
    }

    [Fact]
    public void Editions_AreDesktopAndCore_FromPowerShell51()
    {
        Assert.Equal(new[] { "Core", "Desktop" }, _manifest.List("CompatiblePSEditions")!.OrderBy(e => e));
        Assert.Equal("5.1", _manifest.Value("PowerShellVersion"));
    }

    [Fact]
    public void ModuleVersion_IsThreePartVersion_AndGuidIsSet()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+$", _manifest.Value("ModuleVersion"));
        Assert.True(Guid.TryParse(_manifest.Value("GUID"), out _));
    }

    [Fact]
    public void Version_LivesOnlyInTheManifest()
    {
        var versionElement = new Regex(@"<(Version|VersionPrefix|VersionSuffix|AssemblyVersion|FileVersion|PackageVersion|InformationalVersion)>",
            RegexOptions.IgnoreCase);
        var offenders = Directory.EnumerateFiles(ModuleFiles.RepoRoot, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".csproj", StringComparison.Ordinal) || f.EndsWith(".props", StringComparison.Ordinal) || f.EndsWith(".targets", StringComparison.Ordinal))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or ".git"))
            .Where(f => versionElement.IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(ModuleFiles.RepoRoot, f));
        Assert.Empty(offenders);
    }
}
