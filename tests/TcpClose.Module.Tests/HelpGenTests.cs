using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using TcpClose.HelpGen;
using Xunit;

namespace TcpClose.Module.Tests;

/// <summary>
/// tools/TcpClose.HelpGen against the repository's docs/en-US: the MAML it writes when platyPS is
/// missing has platyPS's shape and says what each page says; a malformed page stops it by name.
/// The pages are read here with plain regexes, not with the converter's parser.
/// </summary>
public class HelpGenTests
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static readonly Lazy<string> Output = new(() =>
    {
        string dir = NewTempDir();
        HelpGenerator.Generate(ModuleFiles.DocsDirectory, dir);
        return dir;
    });

    private static XDocument Maml_ => XDocument.Load(Path.Combine(Output.Value, "TcpClose.dll-Help.xml"));

    public static IEnumerable<object[]> PageNames => CmdletPages().Select(n => new object[] { n });

    [Fact]
    public void Maml_IsWellFormedWithThePlatyPSNamespaces()
    {
        var doc = Maml_;
        Assert.Equal(XName.Get("helpItems", "http://msh"), doc.Root!.Name);
        Assert.Equal("maml", (string?)doc.Root.Attribute("schema"));
        var commands = doc.Root.Elements().ToList();
        Assert.NotEmpty(commands);
        foreach (var command in commands)
        {
            Assert.Equal(Command + "command", command.Name);
            Assert.Equal(Maml.NamespaceName, (string?)command.Attribute(XNamespace.Xmlns + "maml"));
            Assert.Equal(Command.NamespaceName, (string?)command.Attribute(XNamespace.Xmlns + "command"));
            Assert.Equal(Dev.NamespaceName, (string?)command.Attribute(XNamespace.Xmlns + "dev"));
            Assert.Equal("http://msdn.microsoft.com/mshelp", (string?)command.Attribute(XNamespace.Xmlns + "MSHelp"));
            // The order PowerShell's help reader and platyPS's MamlRenderer share.
            Assert.Equal(
                new[] { Command + "details", Maml + "description", Command + "syntax", Command + "parameters", Command + "inputTypes",
                        Command + "returnValues", Maml + "alertSet", Command + "examples", Command + "relatedLinks" },
                command.Elements().Select(e => e.Name));
        }
    }

    [Fact]
    public void Maml_HasOneCommandPerCmdletPage()
    {
        var names = Maml_.Root!.Elements(Command + "command").Select(c => (string)c.Element(Command + "details")!.Element(Command + "name")!).ToList();
        Assert.Equal(CmdletPages().Order(), names.Order());
        Assert.Equal(Spec.CmdletNames.Order(), names.Order());
    }

    [Theory]
    [MemberData(nameof(PageNames))]
    public void Command_HasThePageParametersWithTheirYaml(string name)
    {
        var command = CommandElement(name);
        var parameters = command.Element(Command + "parameters")!.Elements(Command + "parameter").ToList();
        var page = PageParameters(name);
        Assert.Equal(page.Keys.Order(), parameters.Select(p => (string)p.Element(Maml + "name")!).Order());
        foreach (var parameter in parameters)
        {
            var yaml = page[(string)parameter.Element(Maml + "name")!];
            Assert.Equal(yaml["Required"].ToLowerInvariant(), (string?)parameter.Attribute("required"));
            Assert.Equal(yaml["Position"].ToLowerInvariant(), (string?)parameter.Attribute("position"));
            Assert.Equal(yaml["Accept pipeline input"], (string?)parameter.Attribute("pipelineInput"));
            Assert.NotEmpty(parameter.Element(Maml + "description")!.Elements(Maml + "para"));
        }

        // Every syntax item names only documented parameters, and every parameter is in some syntax item.
        var inSyntax = command.Element(Command + "syntax")!.Elements(Command + "syntaxItem")
            .SelectMany(i => i.Elements(Command + "parameter")).Select(p => (string)p.Element(Maml + "name")!).ToHashSet();
        Assert.Equal(page.Keys.Order(), inSyntax.Order());
    }

    [Theory]
    [MemberData(nameof(PageNames))]
    public void Command_HasAtLeastTwoExamplesWithCode(string name)
    {
        var examples = CommandElement(name).Element(Command + "examples")!.Elements(Command + "example").ToList();
        Assert.True(examples.Count >= 2, $"{name} has {examples.Count} examples");
        Assert.All(examples, e => Assert.False(string.IsNullOrWhiteSpace((string?)e.Element(Dev + "code")), $"{name}: empty dev:code"));
        Assert.All(examples, e => Assert.Matches(@"^-* ?Example \d+: .*\S", (string)e.Element(Maml + "title")!));
    }

    [Theory]
    [MemberData(nameof(PageNames))]
    public void Command_HasASynopsisAndItsVerbAndNoun(string name)
    {
        var details = CommandElement(name).Element(Command + "details")!;
        string synopsis = string.Concat(details.Element(Maml + "description")!.Elements(Maml + "para").Select(p => p.Value));
        Assert.False(string.IsNullOrWhiteSpace(synopsis), $"{name}: empty synopsis");
        Assert.Equal(name, $"{(string)details.Element(Command + "verb")!}-{(string)details.Element(Command + "noun")!}");
    }

    [Fact]
    public void AboutTopic_IsPlainTextAboutTimeWait()
    {
        string path = Path.Combine(Output.Value, "about_TcpClose.help.txt");
        Assert.True(File.Exists(path), $"missing {path}");
        string text = File.ReadAllText(path);
        Assert.StartsWith("TOPIC", text);
        Assert.Contains("TIME_WAIT", text);
        Assert.Contains("SHORT DESCRIPTION", text);
        Assert.DoesNotContain("```", text);
        Assert.DoesNotMatch(@"(?m)^#", text);
    }

    [Theory]
    [InlineData("yaml cut short", "Required:", "no 'Required:' line")]
    [InlineData("no synopsis", "## SYNOPSIS", "expected a '## SECTION' heading")]
    [InlineData("unclosed code", "```powershell", "never closed")]
    public void MalformedPage_StopsWithFileAndLine(string _, string cut, string expected)
    {
        string docs = CopyDocsBreaking("Send-TcpData.md", cut);
        var error = Assert.Throws<HelpFormatException>(() => HelpGenerator.Generate(docs, NewTempDir()));
        Assert.Equal("Send-TcpData.md", error.File);
        Assert.True(error.Line > 0, error.Message);
        Assert.Contains(expected, error.Message);
        Assert.StartsWith($"Send-TcpData.md({error.Line}): ", error.Message);
    }

    [Fact]
    public void MalformedPage_WithoutAnySynopsisSection_IsNamed()
    {
        string docs = CopyDocsBreaking("Get-TcpListener.md", "## SYNOPSIS", removeFollowingParagraph: true);
        var error = Assert.Throws<HelpFormatException>(() => HelpGenerator.Generate(docs, NewTempDir()));
        Assert.Equal("Get-TcpListener.md(1): no '## SYNOPSIS' section", error.Message);
    }

    [Fact]
    public void Cli_ExitsNonZeroAndNamesTheFile()
    {
        string docs = CopyDocsBreaking("Send-TcpData.md", "Required:");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "TcpClose.HelpGen.dll"), docs, NewTempDir() })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(1, process.ExitCode);
        Assert.Matches(@"Send-TcpData\.md\(\d+\): .*Required", stderr);
    }

    private static XElement CommandElement(string name) =>
        Maml_.Root!.Elements(Command + "command").Single(c => (string)c.Element(Command + "details")!.Element(Command + "name")! == name);

    private static IEnumerable<string> CmdletPages() =>
        Directory.GetFiles(ModuleFiles.DocsDirectory, "*.md").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(n => !n.StartsWith("about_", StringComparison.Ordinal));

    /// <summary>### -Name headings of a page with the key: value lines of their yaml blocks.</summary>
    private static Dictionary<string, Dictionary<string, string>> PageParameters(string name)
    {
        string page = File.ReadAllText(Path.Combine(ModuleFiles.DocsDirectory, name + ".md")).ReplaceLineEndings("\n");
        return Regex.Matches(page, @"(?ms)^### -(\w+)\n.*?^```yaml\n(.*?)^```").ToDictionary(
            m => m.Groups[1].Value,
            m => Regex.Matches(m.Groups[2].Value, @"(?m)^([^:\n]+):[ \t]*(.*?)[ \t]*$").ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value));
    }

    /// <summary>A copy of docs/en-US where one page loses its first line starting with <paramref name="cut"/>.</summary>
    private static string CopyDocsBreaking(string file, string cut, bool removeFollowingParagraph = false)
    {
        string dir = NewTempDir();
        foreach (string source in Directory.GetFiles(ModuleFiles.DocsDirectory))
        {
            File.Copy(source, Path.Combine(dir, Path.GetFileName(source)));
        }

        var lines = File.ReadAllLines(Path.Combine(dir, file)).ToList();
        int at = lines.FindIndex(l => l.StartsWith(cut, StringComparison.Ordinal));
        Assert.True(at >= 0, $"{file} has no line starting with {cut}");
        int count = 1;
        while (removeFollowingParagraph && at + count < lines.Count && !lines[at + count].StartsWith("##", StringComparison.Ordinal))
        {
            count++;
        }

        lines.RemoveRange(at, count);
        File.WriteAllLines(Path.Combine(dir, file), lines);
        return dir;
    }

    private static string NewTempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "TcpClose-helpgen-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
