#Requires -Version 7.4
<#
.SYNOPSIS
Get-TcpStatistic against nstat: one namespace, and every namespace of a host.

.DESCRIPTION
Times, each -Runs times after a warm-up (medians):

  Get-TcpStatistic -All                         in this pwsh      nstat -asz, as a child process
  Get-TcpNetworkNamespace | Get-TcpStatistic -All                 for ns; do ip netns exec $ns nstat -asz; done
                                                                  (over the same -Namespaces namespaces)

The benchmark makes -Namespaces network namespaces (ip netns add) and deletes them at the end; it
checks first that both sides read the same counters. nstat runs with -s and a history path that
does not exist, so it writes no history file. Linux, root, iproute2 (ip, nstat). Nothing is sent
on any network: the counters are only read.

.PARAMETER Namespaces
How many namespaces to make. Default 20.

.PARAMETER Runs
Timed runs per figure (median). Default 5.

.PARAMETER NoBuild
Use the module staged in out/ as it is.

.EXAMPLE
pwsh -NoProfile -File tests/TcpClose.Benchmarks/Statistics.Bench.ps1
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 200)]
    [int]$Namespaces = 20,
    [ValidateRange(3, 15)]
    [int]$Runs = 5,
    [switch]$NoBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if (-not $IsLinux -or "$(id -u)" -ne '0') { throw 'Linux and root: the benchmark makes and enters network namespaces.' }
. (Join-Path $PSScriptRoot 'StagedModule.ps1')
$null = Import-StagedModule -Build $(if ($NoBuild) { 'None' } else { 'Module' })

. (Join-Path $PSScriptRoot 'Measure.ps1')

$env:NSTAT_HISTORY = '/nonexistent/tcpclose-bench-nstat'
$prefix = 'tcpstat-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '-'
$names = @(1..$Namespaces | ForEach-Object { "$prefix$_" })
Write-Host ("{0} cores, {1}, pwsh {2}; median of {3} runs after a warm-up" -f [Environment]::ProcessorCount, [Runtime.InteropServices.RuntimeInformation]::OSDescription, $PSVersionTable.PSVersion, $Runs)
try {
    foreach ($n in $names) {
        ip netns add $n
        if ($LASTEXITCODE) { throw "ip netns add $n failed" }
    }
    # The same counters on both sides first.
    $judge = @(nstat -asz | Where-Object { $_ -match '^Tcp(Ext)?[A-Z]' } | ForEach-Object { ($_ -split '\s+')[0] })
    $mine = @(Get-TcpStatistic -All | Where-Object { -not $_.IsGauge } | ForEach-Object KernelName)
    if (Compare-Object $judge $mine) { throw "nstat and Get-TcpStatistic read different counters: $(Compare-Object $judge $mine | Out-String)" }
    $loop = "for ns in $($names -join ' '); do ip netns exec `$ns nstat -asz; done"

    $one = Measure-Ms -Runs $Runs { Get-TcpStatistic -All }
    $nstat = Measure-Ms -Runs $Runs { nstat -asz }
    $all = Measure-Ms -Runs $Runs { Get-TcpNetworkNamespace | Where-Object Name -in $names | Get-TcpStatistic -All }
    $nstatLoop = Measure-Ms -Runs $Runs { bash -c $loop }
    $hop = Measure-Ms -Runs $Runs { Get-TcpStatistic -All -NetworkNamespace $names[0] }
    Write-Host ''
    Write-Host ('{0,-52} {1,8} {2,8} {3,8} {4,10} {5,7}' -f 'TcpClose (ms)', 'best', 'median', 'worst', 'theirs', 'ratio')
    Write-Host ('{0,-52} {1,8:N2} {2,8:N2} {3,8:N2} {4,10:N2} {5,7:N3}' -f 'Get-TcpStatistic -All vs nstat -asz', $one.Best, $one.Median, $one.Worst, $nstat.Median, ($one.Median / $nstat.Median))
    Write-Host ('{0,-52} {1,8:N1} {2,8:N1} {3,8:N1} {4,10:N1} {5,7:N3}' -f "$Namespaces namespaces vs an ip netns exec nstat loop", $all.Best, $all.Median, $all.Worst, $nstatLoop.Median, ($all.Median / $nstatLoop.Median))
    Write-Host ('one namespace: {0:N2} ms (a thread that joins it reads its two files and leaves); the loop: {1:N1} ms a namespace' -f $hop.Median, ($nstatLoop.Median / $Namespaces))
}
finally {
    foreach ($n in $names) { ip netns delete $n 2>$null }
}
