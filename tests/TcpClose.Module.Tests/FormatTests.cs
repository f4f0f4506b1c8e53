using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace TcpClose.Module.Tests;

public class FormatTests
{
    private static readonly XDocument Format = XDocument.Load(ModuleFiles.FormatFile);

    private static IEnumerable<XElement> Views => Format.Descendants("View");

    [Fact]
    public void EveryOutputType_HasATableView()
    {
        var viewed = Views.Where(v => v.Element("TableControl") != null)
            .SelectMany(v => v.Descendants("TypeName")).Select(t => t.Value.Trim()).ToHashSet();
        var missing = AssemblyMetadata.Cmdlets.SelectMany(c => c.OutputTypes).Distinct().Where(t => !viewed.Contains(t));
        Assert.Empty(missing);
    }

    [Fact]
    public void EveryView_SelectsAnOutputType()
    {
        var outputs = AssemblyMetadata.Cmdlets.SelectMany(c => c.OutputTypes).ToHashSet();
        var orphans = Views.SelectMany(v => v.Descendants("TypeName")).Select(t => t.Value.Trim()).Where(t => !outputs.Contains(BaseTypeName(t))).ToList();
        Assert.Empty(orphans);
    }

    /// <summary>A view of "Type#NetworkNamespace" is the grouped view of Type's objects made in another
    /// network namespace (TcpCmdlet.WriteObject puts that name first): Type's name.</summary>
    private static string BaseTypeName(string typeName) =>
        typeName.EndsWith("#NetworkNamespace", StringComparison.Ordinal) ? typeName.Substring(0, typeName.Length - "#NetworkNamespace".Length) : typeName;

    [Fact]
    public void EveryGroupedView_IsOfATypeThatSaysItsNamespaceAndGroupsByIt()
    {
        var grouped = Views.Where(v => v.Descendants("TypeName").Single().Value.Trim().EndsWith("#NetworkNamespace", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(grouped);
        foreach (var view in grouped)
        {
            var type = typeof(Listener).Assembly.GetType(BaseTypeName(view.Descendants("TypeName").Single().Value.Trim()))!;
            Assert.True(typeof(INetworkNamespaceBound).IsAssignableFrom(type), $"{type} does not say its namespace");
            Assert.Equal("NetworkNamespace", view.Element("GroupBy")?.Element("PropertyName")?.Value);
            // The same columns as the plain view of that type.
            var plain = Views.Single(v => v.Descendants("TypeName").Single().Value.Trim() == type.FullName);
            Assert.Equal(plain.Element("TableControl")!.ToString(), view.Element("TableControl")!.ToString());
        }
        // Every output type that says its namespace has a grouped view.
        var types = typeof(Listener).Assembly.GetTypes().Where(t => t.IsClass && typeof(INetworkNamespaceBound).IsAssignableFrom(t)).Select(t => t.FullName + "#NetworkNamespace");
        Assert.Equal(types.OrderBy(t => t), grouped.Select(v => v.Descendants("TypeName").Single().Value.Trim()).OrderBy(t => t));
    }

    [Fact]
    public void ViewNames_AreUnique()
    {
        var names = Views.Select(v => (string)v.Element("Name")!).ToList();
        Assert.Equal(names.Distinct().Count(), names.Count);
    }

    [Fact]
    public void EveryTable_HasAsManyHeadersAsColumns()
    {
        // PowerShell refuses the whole format file when these differ.
        var wrong = Views.Select(v => v.Element("TableControl")).Where(t => t != null)
            .Where(t => t!.Descendants("TableColumnHeader").Count() != t.Descendants("TableRowEntry").First().Descendants("TableColumnItem").Count())
            .Select(t => (string)t!.Parent!.Element("Name")!);
        Assert.Empty(wrong);
    }

    [Fact]
    public void EveryColumn_ReadsPropertiesTheTypeHas()
    {
        var missing = new List<string>();
        foreach (var view in Views)
        {
            string typeName = view.Descendants("TypeName").Single().Value.Trim();
            var type = typeof(Listener).Assembly.GetType(BaseTypeName(typeName));
            if (type == null)
            {
                missing.Add($"type {typeName}");
                continue;
            }

            var properties = view.Descendants("PropertyName").Select(p => p.Value.Trim())
                .Concat(view.Descendants("ScriptBlock").SelectMany(s => Regex.Matches(s.Value, @"\$_\.(\w+)").Select(m => m.Groups[1].Value)));
            missing.AddRange(properties.Where(p => type.GetProperty(p) == null).Select(p => $"{typeName}.{p}"));
        }

        Assert.Empty(missing);
    }
}
