using System.Text.RegularExpressions;
using Xunit;

namespace TcpClose.Module.Tests;

/// <summary>
/// The platyPS pages in docs/en-US against the built cmdlets: a page per cmdlet whose
/// "### -Name" headings are exactly its parameters (plus -WhatIf/-Confirm where it supports
/// ShouldProcess), with at least two examples; and the about_ topic.
/// </summary>
public class DocsTests
{
    [Fact]
    public void AboutTopic_ListsEveryErrorId()
    {
        // The about topic's error list is where a user looks up an id from a FullyQualifiedErrorId:
        // each id of ErrorIds is a line of its own there, with what it means and who raises it.
        string[] lines = File.ReadAllLines(Path.Combine(ModuleFiles.DocsDirectory, "about_TcpClose.md"));
        var ids = typeof(TcpClose.ErrorIds).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.True(ids.Count > 30, $"only {ids.Count} error ids found");
        Assert.Equal(Array.Empty<string>(), ids.Where(id => !lines.Contains(id)).ToArray());

        // Each id's entry: the id alone on its line, then its meaning (indented lines), then who
        // raises it ("    Raised by: ..."), before the next id.
        var incomplete = new List<string>();
        foreach (string id in ids)
        {
            int at = Array.IndexOf(lines, id);
            var entry = lines.Skip(at + 1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal)).ToList();
            int raisedBy = entry.FindIndex(l => l.StartsWith("    Raised by: ", StringComparison.Ordinal) && l.Length > "    Raised by: ".Length);
            if (raisedBy < 1)
                incomplete.Add($"{id}: {(entry.Count == 0 ? "no meaning" : raisedBy < 0 ? "no 'Raised by:' line" : "no meaning before 'Raised by:'")}");
        }
        Assert.Equal(Array.Empty<string>(), incomplete.ToArray());
    }

    [Fact]
    public void AboutTopic_Exists()
    {
        string path = Path.Combine(ModuleFiles.DocsDirectory, "about_TcpClose.md");
        Assert.True(File.Exists(path), $"missing {path}");
    }

    [Theory]
    [MemberData(nameof(Spec.CmdletNameData), MemberType = typeof(Spec))]
    public void CmdletPage_DocumentsExactlyItsParameters(string name)
    {
        var cmdlet = Spec.Cmdlet(name);
        var expected = cmdlet.Parameters.Select(p => p.Name).ToList();
        if (cmdlet.SupportsShouldProcess)
        {
            expected.AddRange(new[] { "WhatIf", "Confirm" });
        }

        var documented = Regex.Matches(ReadPage(name), @"(?m)^###\s+-(\w+)\s*$").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(documented.Distinct().Count(), documented.Count);
        Assert.Equal(expected.OrderBy(p => p), documented.OrderBy(p => p));
    }

    [Theory]
    [MemberData(nameof(Spec.CmdletNameData), MemberType = typeof(Spec))]
    public void CmdletPage_HasAtLeastTwoExamples(string name)
    {
        int examples = Regex.Matches(ReadPage(name), @"(?m)^###\s+Example\b").Count;
        Assert.True(examples >= 2, $"{name}.md has {examples} '### Example' headings");
    }

    [Theory]
    [MemberData(nameof(Spec.CmdletNameData), MemberType = typeof(Spec))]
    public void CmdletPage_HasCommonParameters(string name)
    {
        Assert.Matches(@"(?m)^###\s+CommonParameters\s*$", ReadPage(name));
    }

    [Theory]
    [MemberData(nameof(Spec.CmdletNameData), MemberType = typeof(Spec))]
    public void CmdletPage_NamesTheBinaryModuleHelpFile(string name)
    {
        // Get-Help looks for a binary cmdlet's help in <assembly>-Help.xml; platyPS names the MAML
        // file after this header.
        Assert.Matches(@"(?m)^external help file:\s*TcpClose\.dll-Help\.xml\s*$", ReadPage(name));
    }

    private static string ReadPage(string name)
    {
        string path = Path.Combine(ModuleFiles.DocsDirectory, name + ".md");
        Assert.True(File.Exists(path), $"missing platyPS page {path}");
        return File.ReadAllText(path);
    }
}
