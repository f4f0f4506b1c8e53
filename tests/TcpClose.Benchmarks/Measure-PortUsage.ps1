#Requires -Version 7.4
<#
.SYNOPSIS
Times Get-TcpPortUsage against Get-TcpConnection alone on a table of about 100,000 rows.

.DESCRIPTION
Fills the TCP table with client-side TIME_WAIT rows on 127.0.0.1 (loopback only: no packet leaves
the machine) until it holds -Rows rows, spread over several listener ports (one destination holds
at most the ephemeral range), then times, best of -Runs each, in this PowerShell process:

  Get-TcpConnection           every row written to the pipeline (the baseline)
  Get-TcpPortUsage            one read, aggregated per destination while it streams
  Get-TcpConnection | Group-Object    what a script would do without Get-TcpPortUsage (one run)

and prints the ratio to the target (Get-TcpPortUsage <= 2x Get-TcpConnection). At the end it
removes the TIME_WAIT rows it made (`ss -K state time-wait '( dport = :P )'` per listener port) and
prints how many are left. Linux, root (ss -K needs CAP_NET_ADMIN).

It holds the table lock (-LockFile) while it runs. From the repository root after ./build.ps1:
    pwsh -NoProfile -File tests/TcpClose.Benchmarks/Measure-PortUsage.ps1

TIME_WAIT rows last 60 s on Linux; the fill and every timed run must end inside that, so keep
-Runs moderate (the script refuses to start timing when the fill took longer than 25 s).
#>
[CmdletBinding()]
param(
    # The table lock (an exclusive flock on this file) held while it runs; the default is the one
    # every TcpClose benchmark uses: tcpclose-table.lock in the OS temp folder.
    [string] $LockFile = (Join-Path ([System.IO.Path]::GetTempPath()) 'tcpclose-table.lock'),

    [ValidateRange(1000, 120000)]
    [int] $Rows = 100000,

    [ValidateRange(1, 20)]
    [int] $Runs = 5,

    [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# Held until this script's process ends (it runs with pwsh -File).
. (Join-Path $PSScriptRoot 'TableLock.ps1')
$tableLock = Enter-TcpTableLock -Path $LockFile

if (-not $IsLinux) { throw 'This benchmark fills the Linux TCP table and clears it with ss -K; run it on Linux.' }
if ((id -u) -ne '0') { throw 'Run as root: the rows it makes are cleared with ss -K (CAP_NET_ADMIN).' }
if (-not $ModulePath) {
    $root = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
    $version = (Import-PowerShellDataFile -Path (Join-Path $root 'TcpClose.psd1')).ModuleVersion
    $ModulePath = Join-Path $root "out/TcpClose/$version/TcpClose.psd1"
}
Import-Module $ModulePath -Force

$maxTw = [int](Get-Content /proc/sys/net/ipv4/tcp_max_tw_buckets)
$before = @(Get-TcpConnection).Count
$toMake = $Rows - $before
$twNow = @(Get-TcpTimeWait).Count
if ($toMake -le 0) { throw "The table already holds $before rows (>= -Rows $Rows)." }
if ($twNow + $toMake -gt $maxTw - 5000) {
    throw "$twNow TIME_WAIT rows now + $toMake would come near tcp_max_tw_buckets ($maxTw), past which the kernel skips TIME_WAIT."
}

# The fill in C#: a PowerShell loop would take longer than TIME_WAIT lasts.
Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
public static class PortUsageFill
{
    // Client closes first (its 4-tuple goes to TIME_WAIT); the server reads the FIN, then closes.
    public static int[] Fill(int n, int perListener)
    {
        int count = (n + perListener - 1) / perListener;
        var listeners = new List<Socket>();
        var ports = new int[count];
        for (int i = 0; i < count; i++)
        {
            var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            l.Listen(1024);
            listeners.Add(l);
            ports[i] = ((IPEndPoint)l.LocalEndPoint).Port;
        }
        const int batch = 256;
        var clients = new Socket[batch];
        var servers = new Socket[batch];
        var buf = new byte[1];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int made = 0;
        while (made < n)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(40))
                throw new TimeoutException("fill too slow: " + made + " rows in 40 s");
            var l = listeners[made / perListener];
            var ep = (IPEndPoint)l.LocalEndPoint;
            int k = Math.Min(batch, Math.Min(n - made, perListener - made % perListener));
            for (int i = 0; i < k; i++)
            {
                clients[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients[i].Connect(ep);
            }
            for (int i = 0; i < k; i++)
                servers[i] = l.Accept();
            for (int i = 0; i < k; i++)
                clients[i].Close();
            for (int i = 0; i < k; i++)
            {
                servers[i].ReceiveTimeout = 5000;
                servers[i].Receive(buf);
                servers[i].Close();
            }
            made += k;
        }
        foreach (var l in listeners)
            l.Close();
        return ports;
    }
}
'@

# At most 7,000 per destination, a quarter of the default range: connect() walks the range from a
# hashed offset and, with tcp_tw_reuse = 2 on loopback, takes over a TIME_WAIT port of ours older
# than 1 s instead of skipping it (measured: 1.3% of the rows at 14,000 per destination). What is
# still missing after the fill is topped up once.
$perListener = 7000
$ports = @()
try {
    Write-Host ("{0} cores, {1}, PowerShell {2}" -f [Environment]::ProcessorCount, [Runtime.InteropServices.RuntimeInformation]::OSDescription, $PSVersionTable.PSVersion)
    Write-Host "table before: $before rows ($twNow TIME_WAIT); filling $toMake TIME_WAIT rows on 127.0.0.1"
    $fill = [Diagnostics.Stopwatch]::StartNew()
    $ports = [PortUsageFill]::Fill($toMake, $perListener)
    $total = @(Get-TcpConnection).Count
    if ($total -lt $Rows) {
        $ports += [PortUsageFill]::Fill($Rows - $total, $perListener)
        $total = @(Get-TcpConnection).Count
    }
    $fill.Stop()
    Write-Host ("filled in {0:F1} s across {1} listener ports; the table holds {2} rows" -f $fill.Elapsed.TotalSeconds, $ports.Count, $total)
    if ($fill.Elapsed.TotalSeconds -gt 25) { throw 'The fill took longer than 25 s: the rows would expire during the runs.' }

    function Measure-Best([scriptblock] $Block, [int] $Count) {
        & $Block | Out-Null   # warm-up: JIT, page cache
        $best = [double]::MaxValue
        $bytes = 0L
        for ($i = 0; $i -lt $Count; $i++) {
            $allocated = [GC]::GetAllocatedBytesForCurrentThread()
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $null = & $Block
            $sw.Stop()
            if ($sw.Elapsed.TotalMilliseconds -lt $best) {
                $best = $sw.Elapsed.TotalMilliseconds
                $bytes = [GC]::GetAllocatedBytesForCurrentThread() - $allocated
            }
        }
        [pscustomobject]@{ Ms = $best; AllocatedMB = $bytes / 1MB }
    }

    $connection = Measure-Best { Get-TcpConnection } $Runs
    $usage = Measure-Best { Get-TcpPortUsage } $Runs
    # Once, without warm-up: it is slow, and the rows must outlive the runs.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $allocated = [GC]::GetAllocatedBytesForCurrentThread()
    $null = Get-TcpConnection | Group-Object LocalAddress, RemoteAddress, RemotePort
    $group = [pscustomobject]@{ Ms = $sw.Elapsed.TotalMilliseconds; AllocatedMB = ([GC]::GetAllocatedBytesForCurrentThread() - $allocated) / 1MB }
    $ours = @(Get-TcpPortUsage | Where-Object { $_.RemoteAddress -eq '127.0.0.1' -and $ports -contains $_.RemotePort })

    Write-Host ''
    Write-Host ("{0,-52} {1,10} {2,8} {3,12}" -f 'command (best of runs, in this process)', 'ms', 'x conn', 'MB alloc')
    foreach ($r in @(
            @('Get-TcpConnection', $connection),
            @('Get-TcpPortUsage', $usage),
            @('Get-TcpConnection | Group-Object (1 run)', $group))) {
        Write-Host ("{0,-52} {1,10:F1} {2,8:F3} {3,12:F1}" -f $r[0], $r[1].Ms, ($r[1].Ms / $connection.Ms), $r[1].AllocatedMB)
    }
    Write-Host ("our destinations: {0} rows, TIME_WAIT ports {1}, highest PercentUsed {2}" -f $ours.Count, ($ours | Measure-Object TimeWait -Sum).Sum, ($ours | Measure-Object PercentUsed -Maximum).Maximum)
    $ratio = $usage.Ms / $connection.Ms
    Write-Host ("target Get-TcpPortUsage <= 2 x Get-TcpConnection: {0} ({1:F3})" -f $(if ($ratio -le 2) { 'met' } else { 'NOT met' }), $ratio)
}
finally {
    # Clear what we made, whatever happened: the client-side rows have our listeners' ports as remote port.
    foreach ($p in $ports) {
        # ss prints "RTNETLINK answers: Invalid argument" for a family it has nothing to destroy in;
        # what counts is the check below.
        & ss -K -n state time-wait "( dport = :$p )" 2>$null | Out-Null
    }
    $left = @(foreach ($p in $ports) { Get-TcpTimeWait -RemoteAddress 127.0.0.1 -RemotePort $p }).Count
    Write-Host "cleared: ss -K state time-wait on remote ports $($ports -join ', '); TIME_WAIT rows of ours left: $left"
}
