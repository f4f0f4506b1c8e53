#Requires -Version 7.4
<#
.SYNOPSIS
Every network namespace of a host, surveyed and listed: TcpClose against an `ip netns exec ... ss`
loop and against lsns.

.DESCRIPTION
Survey. The benchmark makes -Namespaces network namespaces (ip netns add; loopback up,
tcp_tw_reuse 0) and -Rows TIME_WAIT rows in each (TcpClose.Benchmarks --fill-namespaces: clients
close first, inside each namespace). Then, each -Runs times after a warm-up, the median taken:

  Get-TcpNetworkNamespace | Get-TcpPortUsage     in this pwsh (every namespace of the host, its
                                                 table against its own port range)
  for ns; do ip netns exec $ns ss -Htan state time-wait | wc -l; done
                                                 as a child bash, over the same namespaces

and the same pipeline as a whole new pwsh process (start-up and module import included). The
counts of both are compared first: the figures are of answers that agree. TIME_WAIT rows last
60 s, so the survey is measured right after the fill; the namespaces (and with them the rows) are
deleted at the end.

Listing. -Processes sleeping processes are started (a few of them in namespaces of their own,
unshare -n), then Get-TcpNetworkNamespace in this pwsh against `lsns -t net` as a child process,
and the namespace ids of both are compared. The processes are ended at the end.

Floors: the survey's per-namespace cost (two thread hops into the namespace: one for the settings,
one for the netlink socket; and one dump of its table) and the listing's per-process cost (one
readlink of /proc/PID/ns/net) are printed from the same runs.

Linux, root (entering namespaces needs CAP_SYS_ADMIN), iproute2 and util-linux. Loopback only.

.PARAMETER Namespaces
How many namespaces to make for the survey. Default 50.

.PARAMETER Rows
TIME_WAIT rows per namespace. Default 1000.

.PARAMETER Processes
Sleeping processes for the listing. Default 2000.

.PARAMETER Runs
Timed runs per figure (median). Default 5.

.PARAMETER LockFile
The table lock held while the benchmark runs (an exclusive flock). Default: tcpclose-table.lock in
the OS temp folder, as every TcpClose benchmark.

.PARAMETER NoBuild
Use the module staged in out/ and the benchmark already built, as they are.

.EXAMPLE
pwsh -NoProfile -File tests/TcpClose.Benchmarks/Namespaces.Bench.ps1
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 500)]
    [int]$Namespaces = 50,
    [ValidateRange(1, 5000)]
    [int]$Rows = 1000,
    [ValidateRange(10, 20000)]
    [int]$Processes = 2000,
    [ValidateRange(3, 15)]
    [int]$Runs = 5,
    [string]$LockFile = (Join-Path ([System.IO.Path]::GetTempPath()) 'tcpclose-table.lock'),
    [switch]$NoBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if (-not $IsLinux -or "$(id -u)" -ne '0') { throw 'Linux and root: the benchmark makes and enters network namespaces.' }
. (Join-Path $PSScriptRoot 'StagedModule.ps1')
$module = Import-StagedModule -Build $(if ($NoBuild) { 'None' } else { 'Benchmark' })
$benchDll = Join-Path $PSScriptRoot 'bin/Release/net10.0/TcpClose.Benchmarks.dll'
. (Join-Path $PSScriptRoot 'TableLock.ps1')
$tableLock = Enter-TcpTableLock -Path $LockFile

. (Join-Path $PSScriptRoot 'Measure.ps1')

function Show([string]$What, $Mine, $Theirs, [double]$Target) {
    $ratio = $Mine.Median / $Theirs.Median
    $verdict = if ($ratio -le $Target) { "<= $Target`: met" } else { "<= $Target`: not met" }
    '{0,-46} {1,8:N1} {2,8:N1} {3,8:N1} {4,10:N1} {5,7:N3} {6}' -f $What, $Mine.Best, $Mine.Median, $Mine.Worst, $Theirs.Median, $ratio, $verdict
}

$header = '{0,-46} {1,8} {2,8} {3,8} {4,10} {5,7} {6}' -f 'TcpClose (ms)', 'best', 'median', 'worst', 'theirs', 'ratio', 'target'
Write-Host ("{0} cores, {1}, pwsh {2}; median of {3} runs after a warm-up" -f [Environment]::ProcessorCount, [Runtime.InteropServices.RuntimeInformation]::OSDescription, $PSVersionTable.PSVersion, $Runs)
$prefix = 'tcpbench-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '-'
$names = @(1..$Namespaces | ForEach-Object { "$prefix$_" })
$sleepers = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
try {
    # ---- Survey ----
    foreach ($n in $names) {
        ip netns add $n
        if ($LASTEXITCODE) { throw "ip netns add $n failed" }
        ip netns exec $n ip link set lo up
        ip netns exec $n sysctl -q -w net.ipv4.tcp_tw_reuse=0
    }
    dotnet $benchDll --fill-namespaces ($names -join ',') --rows $Rows | Out-Host
    if ($LASTEXITCODE) { throw "the fill failed with exit code $LASTEXITCODE" }
    $loop = "for ns in $($names -join ' '); do ip netns exec `$ns ss -Htan state time-wait | wc -l; done"

    # The answers agree before anything is timed.
    $theirs = @(bash -c $loop | ForEach-Object { [int]$_ })
    $mine = @(Get-TcpNetworkNamespace | Where-Object Name -in $names | ForEach-Object { (Get-TcpTimeWait -NetworkNamespace $_.NetworkNamespace | Measure-Object).Count })
    if (($theirs | Measure-Object -Sum).Sum -ne ($mine | Measure-Object -Sum).Sum) { throw "the counts differ: ss $(($theirs | Measure-Object -Sum).Sum), TcpClose $(($mine | Measure-Object -Sum).Sum)" }
    Write-Host ("{0} namespaces, {1} TIME_WAIT rows in all (ss and TcpClose agree)" -f $Namespaces, ($theirs | Measure-Object -Sum).Sum)

    $ssLoop = Measure-Ms -Runs $Runs { bash -c $loop }
    $survey = Measure-Ms -Runs $Runs { Get-TcpNetworkNamespace | Get-TcpPortUsage }
    $pwsh = Join-Path $PSHOME 'pwsh'
    $surveyProcess = Measure-Ms -Runs $Runs { & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$module'; Get-TcpNetworkNamespace | Get-TcpPortUsage | Out-Null" }
    $listOnly = Measure-Ms -Runs $Runs { Get-TcpNetworkNamespace }
    $withCounts = Measure-Ms -Runs $Runs { Get-TcpNetworkNamespace | Select-Object TimeWait }
    $oneNs = Measure-Ms -Runs $Runs { Get-TcpPortUsage -NetworkNamespace $names[0] }
    # The floor: the kernel's TCP hash is one table for the whole host (unless
    # net.ipv4.tcp_child_ehash_entries gave each namespace its own), so a dump inside any namespace,
    # even an empty one, walks every socket of every namespace; ss in the loop pays the same walk.
    ip netns add "${prefix}empty"
    $names += "${prefix}empty"
    $emptyDump = Measure-Ms -Runs $Runs { Get-TcpPortUsage -NetworkNamespace "${prefix}empty" }
    $emptySs = Measure-Ms -Runs $Runs { ip netns exec "${prefix}empty" ss -Htan state time-wait }
    Write-Host ''
    Write-Host "Survey: $Namespaces namespaces x $Rows TIME_WAIT rows, against the ip netns exec ... ss | wc -l loop ($('{0:N1}' -f $ssLoop.Median) ms)"
    Write-Host $header
    Write-Host (Show 'Get-TcpNetworkNamespace | Get-TcpPortUsage' $survey $ssLoop 0.2)
    Write-Host (Show 'the same, as a new pwsh process' $surveyProcess $ssLoop 0.2)
    Write-Host ('Get-TcpNetworkNamespace: {0:N1} ms listing (counts are read when first asked for), {1:N1} ms with every table counted' -f $listOnly.Median, $withCounts.Median)
    Write-Host ('floor: Get-TcpPortUsage -NetworkNamespace costs {0:N2} ms for a namespace of {1} rows and {2:N2} ms for an empty one: the' -f $oneNs.Median, $Rows, $emptyDump.Median)
    Write-Host ('       kernel walks the host''s whole TCP hash ({0} sockets) in every namespace''s dump; ip netns exec ss' -f (($theirs | Measure-Object -Sum).Sum))
    Write-Host ('       costs {0:N2} ms in the empty one, and the loop {1:N1} ms a namespace' -f $emptySs.Median, ($ssLoop.Median / $Namespaces))
    Write-Host ('       a new pwsh costs its start-up: {0:N0} ms of {1:N0}' -f ($surveyProcess.Median - $survey.Median), $surveyProcess.Median)
    foreach ($n in $names) { ip netns delete $n }
    $names = @()

    # ---- Listing ----
    $unshared = [math]::Min(20, [math]::Floor($Processes / 100))
    for ($i = 0; $i -lt $Processes; $i++) {
        $file, $arguments = if ($i -lt $unshared) { 'unshare', @('-n', 'sleep', '600') } else { 'sleep', @('600') }
        $sleepers.Add((Start-Process -FilePath $file -ArgumentList $arguments -PassThru))
    }
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while (@(Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$').Count -lt $Processes -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
    $all = @(Get-ChildItem /proc -Directory | Where-Object Name -match '^\d+$').Count
    $lsnsIds = @(lsns -t net -n -o NS | ForEach-Object { [long]$_.Trim() } | Sort-Object -Unique)
    $myIds = @(Get-TcpNetworkNamespace | ForEach-Object Id | Sort-Object -Unique)
    if (Compare-Object $lsnsIds $myIds) { throw "the namespace sets differ: lsns $($lsnsIds -join ','), TcpClose $($myIds -join ',')" }
    $lsns = Measure-Ms -Runs $Runs { lsns -t net }
    $listing = Measure-Ms -Runs $Runs { Get-TcpNetworkNamespace }
    Write-Host ''
    Write-Host "Listing: $all processes, $($myIds.Count) namespaces (lsns and TcpClose agree), against lsns -t net ($('{0:N1}' -f $lsns.Median) ms)"
    Write-Host $header
    Write-Host (Show 'Get-TcpNetworkNamespace' $listing $lsns 0.5)
    Write-Host ('floor: {0:N1} us a process (one readlink of /proc/PID/ns/net), plus one table count per namespace' -f (1000 * $listing.Median / $all))
}
finally {
    foreach ($p in $sleepers) { try { $p.Kill() } catch { } }
    foreach ($p in $sleepers) { try { $null = $p.WaitForExit(5000) } catch { } ; $p.Dispose() }
    foreach ($n in $names) { ip netns delete $n 2>$null }
    $tableLock.Dispose()
}
