using System.Xml.Linq;
using Xunit;

namespace TcpClose.Module.Tests;

public class CmdletContractTests
{
    private static IReadOnlyList<CmdletModel> Cmdlets => AssemblyMetadata.Cmdlets;

    [Fact]
    public void Cmdlets_AreExactlyThoseOfTheSpec()
    {
        Assert.Equal(Spec.CmdletNames.OrderBy(n => n), Cmdlets.Select(c => c.Name).OrderBy(n => n));
    }

    [Fact]
    public void EveryCmdlet_IsPublicSealed_NamedVerbNounCommand_InTcpCloseCommands()
    {
        var wrong = Cmdlets
            .Where(c => !c.IsPublic || !c.IsSealed || c.Namespace != "TcpClose.Commands" || c.ClassName != c.Verb + c.Noun + "Command")
            .Select(c => $"{c.Namespace}.{c.ClassName} ({c.Name}): public={c.IsPublic} sealed={c.IsSealed}");
        Assert.Empty(wrong);
    }

    [Fact]
    public void EveryVerb_IsApproved()
    {
        var approved = ApprovedVerbs();
        Assert.Contains("Get", approved); // the reading of the verb classes works at all
        Assert.Empty(Cmdlets.Where(c => !approved.Contains(c.Verb)).Select(c => c.Name));
    }

    [Fact]
    public void EveryNoun_StartsWithTheModulePrefix()
    {
        Assert.Empty(Cmdlets.Where(c => !c.Noun.StartsWith("Tcp", StringComparison.Ordinal)).Select(c => c.Name));
    }

    [Fact]
    public void EveryCmdlet_DeclaresOutputType_OfAModuleType()
    {
        Assert.Empty(Cmdlets.Where(c => c.OutputTypes.Count == 0).Select(c => c.Name));
        Assert.Empty(Cmdlets.SelectMany(c => c.OutputTypes.Where(t => typeof(Listener).Assembly.GetType(t) == null).Select(t => $"{c.Name}: {t}")));
    }

    [Fact]
    public void SupportsShouldProcess_ExactlyWhereStateIsDestroyed()
    {
        Assert.Equal(Spec.ShouldProcessCmdlets.OrderBy(n => n), Cmdlets.Where(c => c.SupportsShouldProcess).Select(c => c.Name).OrderBy(n => n));
        Assert.Empty(Cmdlets.Where(c => c.SupportsShouldProcess != Spec.DestructiveVerbs.Contains(c.Verb)).Select(c => c.Name));
    }

    [Fact]
    public void CmdletsWithSeveralParameterSets_NameADefault()
    {
        var missing = Cmdlets
            .Where(c => c.Parameters.SelectMany(p => p.ParameterAttributes).Select(SetOf).Where(s => s != null).Distinct().Count() > 1)
            .Where(c => string.IsNullOrEmpty(c.DefaultParameterSetName))
            .Select(c => c.Name);
        Assert.Empty(missing);
    }

    [Fact]
    public void Positions_AreUniqueWithinEachParameterSet()
    {
        var clashes = new List<string>();
        foreach (var cmdlet in Cmdlets)
        {
            var entries = cmdlet.Parameters
                .SelectMany(p => p.ParameterAttributes.Select(a => (p.Name, Set: SetOf(a), Position: a.TryGetValue("Position", out var pos) ? (int?)(int)pos! : null)))
                .Where(e => e.Position is >= 0)
                .ToList();
            var sets = entries.Select(e => e.Set).Where(s => s != null).Distinct().DefaultIfEmpty(null);
            foreach (var set in sets)
            {
                // Parameters without a set belong to every set.
                clashes.AddRange(entries.Where(e => e.Set == null || e.Set == set)
                    .GroupBy(e => e.Position)
                    .Where(g => g.Count() > 1)
                    .Select(g => $"{cmdlet.Name} set {set ?? "(all)"} position {g.Key}: {string.Join(", ", g.Select(e => e.Name))}"));
            }
        }

        Assert.Empty(clashes);
    }

    [Fact]
    public void TimeoutParameters_AreSecondsAsDouble()
    {
        var timeouts = Cmdlets.SelectMany(c => c.Parameters.Where(p => p.Name == "Timeout").Select(p => (c.Name, p.TypeName))).ToList();
        Assert.NotEmpty(timeouts);
        Assert.All(timeouts, t => Assert.True(t.TypeName == "System.Double", $"{t.Name} -Timeout is {t.TypeName}"));
    }

    [Fact]
    public void EveryParameter_HasAnXmlDocComment()
    {
        string xmlPath = Path.ChangeExtension(ModuleFiles.CmdletAssembly, ".xml");
        Assert.True(File.Exists(xmlPath), $"{xmlPath} missing: GenerateDocumentationFile must stay on in src/TcpClose");
        var summaries = XDocument.Load(xmlPath).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => ((string?)m.Element("summary"))?.Trim() ?? string.Empty);
        var undocumented = Cmdlets
            .SelectMany(c => c.Parameters.Select(p => $"P:{p.DeclaringType}.{p.Name}"))
            .Where(id => !summaries.TryGetValue(id, out var text) || text.Length == 0);
        Assert.Empty(undocumented);
    }

    [Fact]
    public void CmdletAssembly_UsesNoSocketTypes_TheCoreDoes()
    {
        var sockets = AssemblyMetadata.TypeReferences(ModuleFiles.CmdletAssembly).Where(t => t.StartsWith("System.Net.Sockets.", StringComparison.Ordinal));
        Assert.Empty(sockets);
    }

    [Fact]
    public void ModuleCleanup_ClosesTheRegistryOnRemove()
    {
        Assert.Contains("System.Management.Automation.IModuleAssemblyCleanup",
            AssemblyMetadata.InterfacesOf(ModuleFiles.CmdletAssembly, "TcpClose.ModuleCleanup"));
    }

    private static string? SetOf(IReadOnlyDictionary<string, object?> parameterAttribute) =>
        parameterAttribute.TryGetValue("ParameterSetName", out var set) && (string?)set is { } s && s != "__AllParameterSets" ? s : null;

    private static HashSet<string> ApprovedVerbs()
    {
        string[] verbClasses = { "VerbsCommon", "VerbsCommunications", "VerbsData", "VerbsDiagnostic", "VerbsLifecycle", "VerbsSecurity", "VerbsOther" };
        return verbClasses
            .SelectMany(c => AssemblyMetadata.Constants(ModuleFiles.PowerShellReference, "System.Management.Automation." + c).Values)
            .Select(v => (string)v!)
            .ToHashSet(StringComparer.Ordinal);
    }
}
