using System.Diagnostics;
using System.Management.Automation;

namespace TcpClose.Hosted.Tests;

/// <summary>
/// The namespace and counter cmdlets in process: a network namespace made for the test (root, ip),
/// worked in through -NetworkNamespace from a pipeline, the rows' grouped type name, and the
/// counters with their deltas. The judges are ss and nstat inside the namespace.
/// </summary>
[Collection(HostedModuleCollection.Name)]
public sealed class NamespaceCmdletTests
{
    private readonly HostedModule _module;

    public NamespaceCmdletTests(HostedModule module) => _module = module;


    private static string Exec(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        string o = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(20000), $"{file} {args} did not finish");
        Assert.True(p.ExitCode == 0, $"{file} {args} exited {p.ExitCode}: {p.StandardError.ReadToEnd()}");
        return o;
    }

    [NamespaceFact]
    public void TheNamespacesPipeIntoTheTableCmdletsAndTheirRowsSayWhere()
    {
        string ns = "tcp-hosted-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        Exec("ip", $"netns add {ns}");
        try
        {
            Exec("ip", $"netns exec {ns} ip link set lo up");
            var (output, errors) = _module.Run($@"
                $l = Start-TcpListener -NetworkNamespace {ns}
                try {{
                    Get-TcpNetworkNamespace -Name {ns} | Get-TcpConnection -State Listen
                    $l.LocalPort
                }} finally {{ $l | Stop-TcpListener }}");
            Assert.Empty(errors);
            Assert.Equal(2, output.Count);
            Assert.Equal("TcpClose.TcpTableEntry#NetworkNamespace", output[0].TypeNames[0]);
            Assert.Equal(ns, output[0].Properties["NetworkNamespace"].Value);
            Assert.Equal(output[1].BaseObject, output[0].Properties["LocalPort"].Value);
            // The judge saw it there while it listened: ask again with a fresh listener, by ss.
            var (again, _) = _module.Run($"$l = Start-TcpListener -NetworkNamespace {ns}; $l.LocalPort; ip netns exec {ns} ss -Htln; $l | Stop-TcpListener");
            Assert.Contains($"127.0.0.1:{again[0].BaseObject}", string.Join("\n", again.Skip(1).Select(o => o.ToString())));
        }
        finally
        {
            Exec("ip", $"netns delete {ns}");
        }
    }

    [NamespaceFact]
    public void CountersMoveByWhatTheCloseSentJudgedByNstat()
    {
        string ns = "tcp-hosted-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        Exec("ip", $"netns add {ns}");
        try
        {
            Exec("ip", $"netns exec {ns} ip link set lo up");
            var (output, errors) = _module.Run($@"
                $before = Get-TcpStatistic -NetworkNamespace {ns} -All
                $l = Start-TcpListener -NetworkNamespace {ns}
                $c = New-TcpConnection -NetworkNamespace {ns} -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
                $s = Wait-TcpConnection -Listener $l -Timeout 5
                $null = $c | Close-TcpConnection -Abort
                $null = $s | Close-TcpConnection
                $l | Stop-TcpListener
                Get-TcpStatistic -NetworkNamespace {ns} -Name OutRsts, TCPAbortOnData -Since $before
                Get-TcpStatistic -NetworkNamespace {ns} -Name NoSuchCounter");
            Assert.Equal(2, output.Count);
            Assert.All(output, o => Assert.Equal(1L, o.Properties["Delta"].Value));
            Assert.Equal("TcpClose.TcpStatistic#NetworkNamespace", output[0].TypeNames[0]);
            ErrorRecord notFound = Assert.Single(errors);
            Assert.Equal("StatisticNotFound,TcpClose.Commands.GetTcpStatisticCommand", notFound.FullyQualifiedErrorId);
            string nstat = Exec("ip", $"netns exec {ns} env NSTAT_HISTORY=/nonexistent/nstat nstat -asz TcpExtTCPAbortOnData");
            Assert.Matches(@"TcpExtTCPAbortOnData\s+1\b", nstat);
        }
        finally
        {
            Exec("ip", $"netns delete {ns}");
        }
    }
}

/// <summary>Linux, root (a namespace of the test's own) and ip: skipped, saying which is missing.</summary>
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Linux only: network namespaces.";
        else if (!Environment.IsPrivilegedProcess)
            Skip = "Run as root: making and entering a network namespace needs it.";
        else if (!new[] { "/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip" }.Any(File.Exists))
            Skip = "Needs ip (iproute2) to make the namespace.";
    }
}
