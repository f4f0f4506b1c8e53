using System.Management.Automation;

namespace TcpClose.Hosted.Tests;

/// <summary>
/// More of the cmdlets in process: data both ways, TIME_WAIT rows and the wait for them, removal
/// under -WhatIf, settings, port probes that time out, and Tab completion. Real loopback sockets,
/// ephemeral ports; every test stops what it started.
/// </summary>
[Collection(HostedModuleCollection.Name)]
public sealed class MoreCmdletTests
{
    private readonly HostedModule _module;

    public MoreCmdletTests(HostedModule module) => _module = module;

    [Fact]
    public void SendAndReceiveCarryTextAndTheEndOfStream()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0
            try {
                $c = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
                $s = Wait-TcpConnection -Listener $l -Timeout 5
                $c | Send-TcpData 'hello'
                Receive-TcpData -Connection $s -MaxBytes 5 -Timeout 5
                $null = $c | Close-TcpConnection
                Receive-TcpData -Connection $s -UntilClosed -Timeout 5
                $null = $s | Close-TcpConnection
            } finally { $l | Stop-TcpListener }");
        Assert.Empty(errors);
        Assert.Equal(3, output.Count);
        Assert.Equal("TcpClose.SendResult", output[0].TypeNames[0]);
        Assert.Equal(5L, Convert.ToInt64(output[0].Properties["BytesSent"].Value));
        Assert.Equal("hello", output[1].Properties["Text"].Value);
        Assert.True((bool)output[2].Properties["EndOfStream"].Value);
    }

    [LinuxFact]
    public void TheServerClosingFirstLeavesATimeWaitRowThatWaitTcpTimeWaitReportsWhenItTimesOut()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0
            $c = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
            $s = Wait-TcpConnection -Listener $l -Timeout 5
            $null = $s | Close-TcpConnection
            $null = Receive-TcpData -Connection $c -UntilClosed -Timeout 5
            $null = $c | Close-TcpConnection
            $l | Stop-TcpListener
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            do { $rows = @(Get-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $l.LocalPort -RemotePort $c.LocalPort) } while (-not $rows -and [DateTime]::UtcNow -lt $deadline)
            $rows
            Wait-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $l.LocalPort -Timeout 0.3 | Where-Object RemotePort -eq $c.LocalPort
            $null = Get-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $l.LocalPort -RemotePort $c.LocalPort | Remove-TcpConnection -Confirm:$false -ErrorAction SilentlyContinue");
        Assert.Equal(2, output.Count);
        Assert.Equal("TcpClose.TimeWaitEntry", output[0].TypeNames[0]);
        Assert.InRange((double)output[0].Properties["RemainingSeconds"].Value, 50, 61);
        Assert.Equal(output[0].Properties["RemotePort"].Value, output[1].Properties["RemotePort"].Value);
        ErrorRecord timedOut = Assert.Single(errors);
        Assert.Equal("TimeWaitRemains,TcpClose.Commands.WaitTcpTimeWaitCommand", timedOut.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, timedOut.CategoryInfo.Category);
    }

    [Fact]
    public void RemoveTcpConnectionWhatIfRemovesNothingAndWritesNoResult()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0
            try {
                Remove-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $l.LocalPort -State Listen -WhatIf
                @(Get-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $l.LocalPort -State Listen).Count
            } finally { $l | Stop-TcpListener }");
        Assert.Empty(errors);
        Assert.Equal(1, (int)Assert.Single(output).BaseObject);
    }

    [Fact]
    public void RemoveTcpConnectionWithoutRowsOrFilterIsFilterRequired()
    {
        ErrorRecord error = _module.RunExpectingFailure("Remove-TcpConnection -Confirm:$false");
        Assert.Equal("FilterRequired,TcpClose.Commands.RemoveTcpConnectionCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
    }

    [Fact]
    public void GetTcpSettingTakesWildcardsAndTypedValues()
    {
        var (output, errors) = _module.Run("Get-TcpSetting -Name *");
        Assert.Empty(errors);
        Assert.True(output.Count >= 3, $"{output.Count} settings");
        Assert.All(output, o => Assert.Equal("TcpClose.TcpSetting", o.TypeNames[0]));
        Assert.Contains(output, o => o.Properties["Value"].Value is TimeSpan);
    }

    [Fact]
    public void GetTcpPortUsageCountsAnOpenConnectionToItsListener()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0
            try {
                $c = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
                $s = Wait-TcpConnection -Listener $l -Timeout 5
                Get-TcpPortUsage -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort
                $null = $c, $s | Close-TcpConnection -Abort
            } finally { $l | Stop-TcpListener }");
        Assert.Empty(errors);
        // Counted where the client's port is in this OS's ephemeral range (Linux picks it there).
        if (output.Count == 1)
        {
            Assert.Equal(1, (int)output[0].Properties["Established"].Value);
            Assert.Equal("TcpClose.PortUsageEntry", output[0].TypeNames[0]);
        }
        Assert.InRange(output.Count, OperatingSystem.IsLinux() ? 1 : 0, 1);
    }

    [Fact]
    public void TestTcpPortWaitGivesUpWithPortNotAnswering()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0; $port = $l.LocalPort; $l | Stop-TcpListener
            $ProgressPreference = 'SilentlyContinue'
            (Test-TcpPort -RemoteAddress 127.0.0.1 -RemotePort $port -Wait -Timeout 0.6).Result.ToString()");
        Assert.Equal("Refused", Assert.Single(output).BaseObject);
        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("PortNotAnswering,TcpClose.Commands.TestTcpPortCommand", error.FullyQualifiedErrorId);
    }

    [Fact]
    public void TabCompletesListenerNamesAndIds()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0 -Name 'hosted completion'
            try {
                $names = (TabExpansion2 -inputScript 'Stop-TcpListener -Name hosted' -cursorColumn 29).CompletionMatches.CompletionText
                $ids = (TabExpansion2 -inputScript 'Get-TcpListener -Id ' -cursorColumn 20).CompletionMatches.CompletionText
                $names
                [string]($ids -contains [string]$l.Id)
            } finally { $l | Stop-TcpListener }");
        Assert.Empty(errors);
        Assert.Equal("'hosted completion'", output[0].BaseObject);
        Assert.Equal("True", output[^1].BaseObject);
    }
}

/// <summary>A fact about Linux's exact TIME_WAIT timers: skipped, saying so, elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Linux only: exact TIME_WAIT timers (the Pester suite covers the other OSes).";
    }
}
