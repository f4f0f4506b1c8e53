#Requires -Version 7.4
<#
.SYNOPSIS
Measures Get-TcpTimeWait in pwsh against `ss -tan state time-wait | wc -l` on tables of 10k, 40k and
close to net.ipv4.tcp_max_tw_buckets TIME_WAIT rows.

.DESCRIPTION
For each table size, in a fresh child pwsh that holds the TCP table lock exclusively (flock -x):
fills the table with TIME_WAIT rows on loopback (TcpClose.Benchmarks --hold: clients on 127.0.0.2..
to listeners on 127.0.0.1), then prints
  * `$null = Get-TcpTimeWait` against `ss -tan state time-wait | wc -l`, interleaved, best/median/worst
    of -Runs, the ratio, and the steadiness (slowest run / fastest run); the first call of the session;
  * where the time goes: kernel dump, parse, row objects (timed in this process through
    TcpClose.Benchmarks.dll), and the cmdlet's WriteObject/pipeline share;
  * the peak managed heap of `Get-TcpTimeWait | Where-Object RemainingSeconds -gt 30 | Measure-Object`;
  * rows/s of Get-TcpTimeWait through Start-Job (a child process: PowerShell remoting serialization);
then destroys exactly the rows it made (ss -K on its own 4-tuples) and says how many, before the
lock is released. A summary of every size and the targets of issue 9 follows.

Linux only, as root (ss -K needs CAP_NET_ADMIN). Loopback only: no packet leaves the machine.
TIME_WAIT rows live 60 s, so each size fills and measures within that.

.PARAMETER Rows
Table sizes: numbers of rows, or 'cap' for tcp_max_tw_buckets minus the rows already there minus
3,000 (at most 128,000).

.PARAMETER Runs
Timed runs per figure (best, median and worst are printed).

.PARAMETER LockFile
The table lock: each size holds an exclusive flock on this file while it fills, measures and clears,
so no other TcpClose benchmark fills or clears the table meanwhile. Default: tcpclose-table.lock in
the OS temp folder.

.PARAMETER NoBuild
Use the module staged in out/ and the benchmark already built, as they are.

.PARAMETER NoRemoting
Skip the Start-Job figures.

.EXAMPLE
pwsh -NoProfile -File tests/TcpClose.Benchmarks/TimeWait.Bench.ps1

.EXAMPLE
pwsh -NoProfile -File tests/TcpClose.Benchmarks/TimeWait.Bench.ps1 -Rows 40000 -Runs 7 -NoBuild
#>
[CmdletBinding()]
param(
    [string[]]$Rows = @('10000', '40000', 'cap'),
    [ValidateRange(3, 15)]
    [int]$Runs = 5,
    [string]$LockFile = (Join-Path ([System.IO.Path]::GetTempPath()) 'tcpclose-table.lock'),
    [switch]$NoBuild,
    [switch]$NoRemoting,
    # Internal: measure one size (the parent runs this under the lock).
    [Parameter(DontShow)]
    [string]$Phase
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$version = (Import-PowerShellDataFile -Path (Join-Path $root 'TcpClose.psd1')).ModuleVersion
$manifest = Join-Path $root "out/TcpClose/$version/TcpClose.psd1"
$benchProject = Join-Path $PSScriptRoot 'TcpClose.Benchmarks.csproj'
$benchDll = Join-Path $PSScriptRoot 'bin/Release/net10.0/TcpClose.Benchmarks.dll'
. (Join-Path $PSScriptRoot 'HeldProcess.ps1')
$ssCommand = 'ss -tan state time-wait | wc -l'

function Get-Millisecond([scriptblock]$Script) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $null = & $Script
    $sw.Elapsed.TotalMilliseconds
}

function Get-Stat([double[]]$Values) {
    $s = @($Values | Sort-Object)
    [pscustomobject]@{ Best = $s[0]; Median = $s[[int][Math]::Floor(($s.Count - 1) / 2)]; Worst = $s[-1] }
}

function Invoke-Phase([string]$Size) {
    Import-Module $manifest
    # The stages must run on the module's TcpClose.Core: load it first, then the benchmark (built
    # with the module's version) binds to it instead of the copy beside itself.
    $core = [Reflection.Assembly]::LoadFrom((Join-Path (Split-Path $manifest) 'TcpClose.Core.dll'))
    $benchCore = [Reflection.AssemblyName]::GetAssemblyName((Join-Path (Split-Path $benchDll) 'TcpClose.Core.dll'))
    if ($benchCore.Version -ne $core.GetName().Version) {
        throw "TcpClose.Benchmarks was built against TcpClose.Core $($benchCore.Version), the module has $($core.GetName().Version): run without -NoBuild."
    }
    Add-Type -Path $benchDll
    $maxTw = [int](Get-Content /proc/sys/net/ipv4/tcp_max_tw_buckets)
    $out = $null
    $null = [TimeWaitStages]::Shell('ss -Htan state time-wait | wc -l', [ref]$out)
    $already = [int]$out
    $n = if ($Size -eq 'cap') { [Math]::Min(128000, $maxTw - $already - 3000) } else { [int]$Size }
    Write-Host ("=== {0:N0} rows asked ({1:N0} TIME_WAIT rows already in the table, tcp_max_tw_buckets {2:N0}); load average {3}" -f
        $n, $already, $maxTw, (((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' '))

    $filler = Start-HeldProcess -FilePath 'dotnet' -ArgumentList $benchDll, '--timewait', $n, '--hold' -Ready '^ready: .*; filter: (.*)$' -Echo
    $filter = $filler.Ready[1]
    $ourCommand = "ss -Htan state time-wait '$filter' | wc -l"
    $result = [ordered]@{ Asked = $n }
    try {
        # The first call of a session: module code compiled on the way.
        $result.FirstMs = Get-Millisecond { $null = Get-TcpTimeWait }
        $null = [TimeWaitStages]::Shell($ourCommand, [ref]$out)
        $result.Ours = [int]$out
        $result.Rows = @(Get-TcpTimeWait).Count
        Write-Host ("  TIME_WAIT rows in the table: {0:N0} ({1:N0} of them this run's); first Get-TcpTimeWait of the session {2:F1} ms" -f
            $result.Rows, $result.Ours, $result.FirstMs)

        # Interleaved, so a busy moment on the shared machine hits both sides.
        # CPU time of this process beside the wall time: where the wall time swings and the CPU time
        # does not, the swing is other processes on the machine, not this code.
        $ss = [Collections.Generic.List[double]]::new()
        $cmd = [Collections.Generic.List[double]]::new()
        $cpu = [Collections.Generic.List[double]]::new()
        $self = [Diagnostics.Process]::GetCurrentProcess()
        foreach ($i in 1..$Runs) {
            $ss.Add([TimeWaitStages]::Shell($ssCommand, [ref]$out))
            $self.Refresh()
            $before = $self.TotalProcessorTime
            $cmd.Add((Get-Millisecond { $null = Get-TcpTimeWait }))
            $self.Refresh()
            $cpu.Add(($self.TotalProcessorTime - $before).TotalMilliseconds)
        }
        $s = Get-Stat $ss; $c = Get-Stat $cmd
        $result.SsBest = $s.Best; $result.SsMedian = $s.Median; $result.SsWorst = $s.Worst
        $result.Best = $c.Best; $result.Median = $c.Median; $result.Worst = $c.Worst
        Write-Host ("  {0,-44} {1,9} {2,9} {3,9}   runs (ms)" -f '', 'best', 'median', 'worst')
        Write-Host ("  {0,-44} {1,9:F1} {2,9:F1} {3,9:F1}   {4}" -f $ssCommand, $s.Best, $s.Median, $s.Worst, (($ss | ForEach-Object { $_.ToString('F1') }) -join ' '))
        Write-Host ("  {0,-44} {1,9:F1} {2,9:F1} {3,9:F1}   {4}" -f '$null = Get-TcpTimeWait', $c.Best, $c.Median, $c.Worst, (($cmd | ForEach-Object { $_.ToString('F1') }) -join ' '))
        $u = Get-Stat $cpu
        $result.CpuBest = $u.Best; $result.CpuWorst = $u.Worst
        Write-Host ("  {0,-44} {1,9:F1} {2,9:F1} {3,9:F1}   {4}" -f '  its CPU time (this process, all threads)', $u.Best, $u.Median, $u.Worst, (($cpu | ForEach-Object { $_.ToString('F0') }) -join ' '))
        Write-Host ("  {0,-44} {1,9:F3} {2,9:F3} {3,9}   slowest/fastest Get-TcpTimeWait {4:F2} wall, {5:F2} CPU" -f 'x ss', ($c.Best / $s.Best), ($c.Median / $s.Median), '', ($c.Worst / $c.Best), ($u.Worst / [Math]::Max(0.001, $u.Best)))

        # Where the time goes: each stage includes the ones above it.
        $stages = [ordered]@{
            'kernel dump (netlink recv, framed only)' = { [TimeWaitStages]::KernelDump() }
            '+ parse into raw rows'                   = { [TimeWaitStages]::ParsedRows() }
            '+ filter, address text, row objects'     = { [TimeWaitStages]::Entries() }
            '+ cmdlet: WriteObject, pipeline to $null' = { $null = Get-TcpTimeWait }
        }
        $best = [ordered]@{}
        foreach ($k in $stages.Keys) { $best[$k] = [double]::MaxValue }
        foreach ($i in 1..$Runs) {
            foreach ($k in $stages.Keys) {
                $sb = $stages[$k]
                $ms = Get-Millisecond $sb
                if ($ms -lt $best[$k]) { $best[$k] = $ms }
            }
        }
        Write-Host ("  {0,-44} {1,9} {2,9} {3,9}" -f 'where the time goes (best of each)', 'ms', '+ms', 'ns/row')
        $prev = 0.0
        $result.Stages = [ordered]@{}
        foreach ($k in $best.Keys) {
            $ms = $best[$k]
            Write-Host ("  {0,-44} {1,9:F1} {2,9:F1} {3,9:F0}" -f $k, $ms, ($ms - $prev), (($ms - $prev) * 1e6 / [Math]::Max(1, $result.Rows)))
            $result.Stages[$k] = $ms
            $prev = $ms
        }

        # Memory: the streaming pipeline, then (for contrast) every row kept in a variable.
        $null = Get-TcpTimeWait -LocalPort 1 | Where-Object RemainingSeconds -gt 30 | Measure-Object # compile the pipeline once
        $peak = [ManagedPeak]::new()
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $passed = (Get-TcpTimeWait | Where-Object RemainingSeconds -gt 30 | Measure-Object).Count
        $sw.Stop()
        $peak.Dispose()
        $result.PeakMB = ($peak.Peak - $peak.Baseline) / 1MB
        Write-Host ("  Get-TcpTimeWait | Where-Object RemainingSeconds -gt 30 | Measure-Object: {0:N0} rows passed, {1:F0} ms;" -f $passed, $sw.Elapsed.TotalMilliseconds)
        Write-Host ("    managed heap {0:F1} MB before, peak {1:F1} MB: +{2:F1} MB at most while streaming ({3} gen0, {4} gen2 collections)" -f
            ($peak.Baseline / 1MB), ($peak.Peak / 1MB), $result.PeakMB, $peak.Gen0Collections, $peak.Gen2Collections)
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $base = [GC]::GetTotalMemory($true)
        $all = Get-TcpTimeWait
        $kept = [GC]::GetTotalMemory($true) - $base
        Write-Host ("    for contrast, `$all = Get-TcpTimeWait keeps {0:F1} MB: {1:F0} B per row (the row, its PSObject wrapper and the array)" -f ($kept / 1MB), ($kept / [Math]::Max(1, $all.Count)))
        $all = $null

        if (-not $NoRemoting) {
            $m = $manifest
            $empty = Get-Millisecond { Start-Job { param($m) Import-Module $m } -ArgumentList $m | Receive-Job -Wait -AutoRemoveJob }
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $got = @(Start-Job { param($m) Import-Module $m; Get-TcpTimeWait } -ArgumentList $m | Receive-Job -Wait -AutoRemoveJob).Count
            $full = $sw.Elapsed.TotalMilliseconds
            $result.JobRows = $got
            $result.JobRowsPerSecond = $got / (($full - $empty) / 1000)
            Write-Host ("  Start-Job {{ Get-TcpTimeWait }} | Receive-Job: {0:N0} rows in {1:F0} ms, {2:F0} ms of it starting the job and importing the module: {3:N0} rows/s" -f
                $got, $full, $empty, $result.JobRowsPerSecond)
        }
        $null = [TimeWaitStages]::Shell($ourCommand, [ref]$out)
        $result.OursAtEnd = [int]$out
        Write-Host ("  this run's rows still in the table after measuring: {0:N0} of {1:N0}" -f $result.OursAtEnd, $result.Ours)
    }
    finally {
        Stop-HeldProcess $filler -Echo -TimeoutSeconds 120
    }
    'RESULT:' + ($result | ConvertTo-Json -Compress -Depth 3)
}

if ($Phase) {
    Invoke-Phase $Phase
    return
}

if (-not $IsLinux) { throw 'This benchmark measures Linux readers (netlink, ss); run it on Linux.' }
if (-not $NoBuild) {
    & (Join-Path $root 'build.ps1') | Out-Host
    dotnet build $benchProject -c Release --nologo -v q "-p:Version=$version" | Out-Host
    if ($LASTEXITCODE) { throw "dotnet build $benchProject failed with exit code $LASTEXITCODE." }
}
Write-Host ("{0} cores, {1}, pwsh {2}; {3} runs per figure" -f [Environment]::ProcessorCount, [Runtime.InteropServices.RuntimeInformation]::OSDescription, $PSVersionTable.PSVersion, $Runs)
# pwsh -File passes '-Rows 10000,40000' as one string.
$Rows = @($Rows | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$results = foreach ($size in $Rows) {
    $childArgs = @('-NoProfile', '-File', $PSCommandPath, '-Phase', $size, '-Runs', $Runs)
    if ($NoRemoting) { $childArgs += '-NoRemoting' }
    # flock creates the file when it is missing; the child runs the benchmark with --hold, which
    # leaves the lock to this holder.
    $pwshExe = Join-Path $PSHOME 'pwsh'
    $run = { flock -x -w 900 $LockFile $pwshExe @childArgs }
    & $run | ForEach-Object {
        if ($_ -like 'RESULT:*') { $_.Substring(7) | ConvertFrom-Json } else { Write-Host $_ }
    }
    if ($LASTEXITCODE) { throw "The $size-row phase failed with exit code $LASTEXITCODE." }
}

Write-Host ''
Write-Host 'summary (ms are wall times; x ss = Get-TcpTimeWait / ss, best against best and median against median)'
Write-Host ('{0,9} {1,9} {2,9} {3,9} {4,8} {5,8} {6,10} {7,8} {8,10} {9,10}' -f 'rows', 'ss best', 'cmd best', 'cmd med', 'x ss', 'x ss med', 'worst/best', 'first', 'peak MB', 'job rows/s')
foreach ($r in $results) {
    $job = if ($r.PSObject.Properties['JobRowsPerSecond']) { '{0:N0}' -f $r.JobRowsPerSecond } else { '-' }
    Write-Host ('{0,9:N0} {1,9:F1} {2,9:F1} {3,9:F1} {4,8:F3} {5,8:F3} {6,10:F2} {7,8:F0} {8,10:F1} {9,10}' -f
        $r.Rows, $r.SsBest, $r.Best, $r.Median, ($r.Best / $r.SsBest), ($r.Median / $r.SsMedian), ($r.Worst / $r.Best), $r.FirstMs, $r.PeakMB, $job)
}
foreach ($r in $results | Where-Object Rows -ge 40000) {
    $ratio = $r.Best / $r.SsBest
    Write-Host ('target $null = Get-TcpTimeWait <= 0.3 x ss at {0:N0} rows: {1} ({2:F3} best, {3:F3} median)' -f $r.Rows, ($(if ($ratio -le 0.3) { 'met' } else { 'NOT met' })), $ratio, ($r.Median / $r.SsMedian))
}
foreach ($r in $results) {
    $steady = $r.Worst / $r.Best
    Write-Host ('target slowest of {0} runs <= 1.5 x fastest at {1:N0} rows: {2} ({3:F2} wall; {4:F2} in CPU time)' -f $Runs, $r.Rows, ($(if ($steady -le 1.5) { 'met' } else { 'NOT met' })), $steady, ($r.CpuWorst / [Math]::Max(0.001, $r.CpuBest)))
}
if (@($results).Count -ge 2) {
    $small = $results[0]; $large = $results[-1]
    Write-Host ('target peak managed memory independent of table size: +{0:F1} MB at {1:N0} rows, +{2:F1} MB at {3:N0} rows ({4:F1}x the rows)' -f
        $small.PeakMB, $small.Rows, $large.PeakMB, $large.Rows, ($large.Rows / [Math]::Max(1, $small.Rows)))
}
