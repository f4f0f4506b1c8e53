namespace TcpClose.Module.Tests;

/// <summary>Facts of /spec/CMDLETS.md the contract tests hold the built module to.</summary>
internal static class Spec
{
    public static readonly string[] CmdletNames =
    {
        "Start-TcpListener", "Get-TcpListener", "Stop-TcpListener", "Wait-TcpConnection", "New-TcpConnection",
        "Send-TcpData", "Receive-TcpData", "Close-TcpConnection", "Get-TcpConnection", "Get-TcpTimeWait",
        "Wait-TcpTimeWait", "Test-TcpBind", "Get-TcpSetting", "Get-TcpPortUsage", "Get-TcpNetworkNamespace", "Get-TcpStatistic",
        "Test-TcpPort", "Remove-TcpConnection",
    };

    /// <summary>The cmdlets that destroy state and so take -WhatIf/-Confirm.</summary>
    public static readonly string[] ShouldProcessCmdlets = { "Stop-TcpListener", "Close-TcpConnection", "Remove-TcpConnection" };

    /// <summary>Verbs whose cmdlets change or destroy existing state (PowerShell's guidance for SupportsShouldProcess).</summary>
    public static readonly string[] DestructiveVerbs =
    {
        "Stop", "Close", "Remove", "Clear", "Reset", "Set", "Disable", "Uninstall", "Unregister", "Disconnect", "Exit",
    };

    public static IEnumerable<object[]> CmdletNameData => CmdletNames.Select(n => new object[] { n });

    public static CmdletModel Cmdlet(string name) =>
        AssemblyMetadata.Cmdlets.SingleOrDefault(c => c.Name == name)
        ?? throw new Xunit.Sdk.XunitException($"TcpClose.dll has no cmdlet {name}; it has: {string.Join(", ", AssemblyMetadata.Cmdlets)}");
}
