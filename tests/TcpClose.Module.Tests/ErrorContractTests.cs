using System.Reflection;
using Xunit;

namespace TcpClose.Module.Tests;

public class ErrorContractTests
{
    [Fact]
    public void TcpErrorCategory_MatchesPowerShellErrorCategory_ByNameAndNumber()
    {
        var powerShell = AssemblyMetadata.Constants(ModuleFiles.PowerShellReference, "System.Management.Automation.ErrorCategory");
        Assert.Contains("NotSpecified", powerShell.Keys); // the reading works at all
        var mismatches = Enum.GetValues<TcpErrorCategory>()
            .Where(c => !powerShell.TryGetValue(c.ToString(), out var value) || (int)value! != (int)c)
            .Select(c => $"{c} = {(int)c}, PowerShell: {(powerShell.TryGetValue(c.ToString(), out var v) ? v : "missing")}");
        Assert.Empty(mismatches);
    }

    [Fact]
    public void ErrorIds_ReadAsTheirOwnNames()
    {
        // The id is the first half of FullyQualifiedErrorId that Pester suites match on.
        var fields = typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        Assert.NotEmpty(fields);
        Assert.All(fields, f => Assert.Equal(f.Name, (string)f.GetRawConstantValue()!));
    }
}
