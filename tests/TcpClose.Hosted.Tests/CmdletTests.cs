using System.Management.Automation;
using System.Net;
using System.Net.Sockets;

namespace TcpClose.Hosted.Tests;

/// <summary>
/// The cmdlets as a host meets them, in process: parameter binding and pipeline input,
/// ShouldProcess, error records (id, category, target, inner exception) and the default views at
/// 80 columns. Real sockets on 127.0.0.1, ephemeral ports; every test stops what it started.
/// </summary>
[Collection(HostedModuleCollection.Name)]
public sealed class CmdletTests
{
    private readonly HostedModule _module;

    public CmdletTests(HostedModule module) => _module = module;

    [Fact]
    public void StartTcpListenerBindsAnEphemeralPortOnLoopbackAndPipesIntoStop()
    {
        var (output, errors) = _module.Run("$l = Start-TcpListener -Port 0 -Name hosted-start; $l; $l | Stop-TcpListener; Get-TcpListener -Name hosted-start");
        PSObject listener = Assert.Single(output);
        // Stopped through the pipeline: the registry no longer has it, and asking by name says so.
        ErrorRecord notFound = Assert.Single(errors);
        Assert.Equal("ListenerNotFound,TcpClose.Commands.GetTcpListenerCommand", notFound.FullyQualifiedErrorId);
        Assert.Equal("TcpClose.Listener", listener.TypeNames[0]);
        Assert.Equal("127.0.0.1", listener.Properties["LocalAddress"].Value);
        Assert.InRange((int)listener.Properties["LocalPort"].Value, 1, 65535);
        Assert.Equal("Stopped", listener.Properties["State"].Value.ToString());
    }

    [Fact]
    public void TestTcpBindTakesPortByPropertyNameFromAListener()
    {
        var (output, errors) = _module.Run(
            "$l = Start-TcpListener -Port 0 -Address ::1; try { $l | Test-TcpBind; $l.LocalPort } finally { $l | Stop-TcpListener }");
        Assert.Empty(errors);
        Assert.Equal(2, output.Count);
        PSObject result = output[0];
        // The listener itself, piped: its LocalPort and LocalAddress bind through the aliases of -Port and -Address.
        Assert.Equal(output[1].BaseObject, result.Properties["Port"].Value);
        Assert.Equal("::1", result.Properties["Address"].Value);
        Assert.False((bool)result.Properties["CanBind"].Value);
        Assert.NotNull(result.Properties["Advice"].Value);
    }

    [Fact]
    public void AddressInUseIsATerminatingErrorWithItsIdCategoryTargetAndSocketException()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen(1);
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        ErrorRecord error = _module.RunExpectingFailure("Start-TcpListener -Port $args[0]", port);

        Assert.Equal("AddressInUse,TcpClose.Commands.StartTcpListenerCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Contains(port.ToString(), error.TargetObject?.ToString());
        var socketError = Assert.IsType<SocketException>(error.Exception.InnerException);
        Assert.Equal(SocketError.AddressAlreadyInUse, socketError.SocketErrorCode);
        // Nothing half-registered: the failed listener is not in the registry.
        var (listeners, _) = _module.Run("@(Get-TcpListener | Where-Object LocalPort -eq $args[0]).Count", port);
        Assert.Equal(0, (int)Assert.Single(listeners).BaseObject);
    }

    [Fact]
    public void StopTcpListenerByUnknownIdIsANonTerminatingObjectNotFound()
    {
        var (output, errors) = _module.Run("Stop-TcpListener -Id 2147483647; 'went on'");
        Assert.Equal("went on", Assert.Single(output).BaseObject);
        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("ListenerNotFound,TcpClose.Commands.StopTcpListenerCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    [Fact]
    public void CloseTcpConnectionWhatIfLeavesTheConnectionOpenAndThenClosesGracefully()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0
            try {
                $c = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
                $s = Wait-TcpConnection -Listener $l -Timeout 5
                $c | Close-TcpConnection -WhatIf
                $c.State.ToString()
                $c | Close-TcpConnection
                $c.State.ToString()
                $s | Close-TcpConnection -Abort
            } finally { $l | Stop-TcpListener }");
        Assert.Empty(errors);
        Assert.Equal(4, output.Count);
        Assert.Equal("Open", output[0].BaseObject);
        Assert.Equal("TcpClose.CloseResult", output[1].TypeNames[0]);
        Assert.Equal("Graceful", output[1].Properties["Style"].Value.ToString());
        Assert.Equal("Closed", output[2].BaseObject);
        Assert.Equal("Abort", output[3].Properties["Style"].Value.ToString());
    }

    [Theory]
    [InlineData("-Linger 70000", "InvalidLinger", "70000")]
    [InlineData("-Linger -1 -WhatIf", "InvalidLinger", "-1")]
    [InlineData("-HalfClose -Timeout 0 -WhatIf", "InvalidTimeout", "0 s")]
    public void BadCloseArgumentsStopTheCommandBeforeShouldProcessAndCloseNothing(string arguments, string id, string named)
    {
        var (output, errors) = _module.Run($@"
            $l = Start-TcpListener -Port 0
            try {{
                $c = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
                try {{ $c | Close-TcpConnection {arguments}; 'no terminating error' }} catch {{ $_ }}
                $c.State.ToString()
                $c | Close-TcpConnection -Abort | Out-Null
            }} finally {{ $l | Stop-TcpListener }}");
        Assert.Empty(errors);
        Assert.Equal(2, output.Count);
        var error = Assert.IsType<ErrorRecord>(output[0].BaseObject);
        Assert.Equal($"{id},TcpClose.Commands.CloseTcpConnectionCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains(named, error.Exception.Message);
        Assert.Equal("Open", output[1].BaseObject);
    }

    /// <remarks>Rendered 300 columns wide: at -Width 80 PowerShell would cut a wider view to fit,
    /// and the check could not fail.</remarks>
    [Fact]
    public void ListenerAndConnectionViewsAreTablesWithinEightyColumns()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0 -Name hosted-view
            try {
                $c = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
                $l | Out-String -Width 300
                $c | Out-String -Width 300
                $c | Close-TcpConnection -Abort | Out-String -Width 300
            } finally { $l | Stop-TcpListener }");
        Assert.Empty(errors);
        Assert.Equal(3, output.Count);
        string listener = (string)output[0].BaseObject;
        Assert.Matches(@"(?m)^\s*Id\s+Name\s+LocalAddress\s+LocalPort\s+ReuseAddress\s+State\s*$", listener);
        Assert.Contains("hosted-view", listener);
        Assert.Matches(@"(?m)^\s*Id\s+Role\s+LocalAddress\s+LocalPort\s+RemoteAddress\s+RemotePort\s+State", (string)output[1].BaseObject);
        Assert.Matches(@"(?m)^\s*ConnectionId\s+Style\s+", (string)output[2].BaseObject);
        foreach (PSObject text in output)
        {
            foreach (string line in ((string)text.BaseObject).Split('\n'))
            {
                Assert.True(line.TrimEnd('\r').Length <= 80, $"wider than 80 columns: '{line}'");
            }
        }
    }

    [Fact]
    public void GetTcpConnectionFindsOurListenerRowByItsLocalEndpoint()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0
            try { Get-TcpConnection -State Listen -LocalAddress 127.0.0.1 -LocalPort $l.LocalPort } finally { $l | Stop-TcpListener }");
        Assert.Empty(errors);
        PSObject row = Assert.Single(output);
        Assert.Equal("Listen", row.Properties["State"].Value.ToString());
        Assert.Equal("127.0.0.1", row.Properties["LocalAddress"].Value);
    }

    [Fact]
    public void GetTcpSettingNameMatchingNothingIsSettingNotFound()
    {
        var (output, errors) = _module.Run("Get-TcpSetting -Name NoSuchSetting");
        Assert.Empty(output);
        ErrorRecord error = Assert.Single(errors);
        Assert.Equal("SettingNotFound,TcpClose.Commands.GetTcpSettingCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("NoSuchSetting", error.TargetObject);
    }

    [Fact]
    public void TestTcpPortOnAListeningPortIsConnectedAndOnAStoppedOneRefused()
    {
        var (output, errors) = _module.Run(@"
            $l = Start-TcpListener -Port 0
            $port = $l.LocalPort
            try { (Test-TcpPort -Port $port -Timeout 5).Result.ToString() } finally { $l | Stop-TcpListener }
            (Test-TcpPort -Port $port -Timeout 5).Result.ToString()");
        Assert.Empty(errors);
        Assert.Equal(new[] { "Connected", "Refused" }, output.Select(o => (string)o.BaseObject));
    }
}
