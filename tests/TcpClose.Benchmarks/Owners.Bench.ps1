#Requires -Version 7.4
<#
.SYNOPSIS
"Who holds this port" on a busy host: TcpClose's owner lookups against ss -p, side by side.

.DESCRIPTION
For each host size, TcpClose.Benchmarks --owners builds the busy host itself: N worker processes,
each holding 20 loopback connections (fewer on hosts of over 900 workers: one process, the
benchmark, holds the server ends, at most 16,000) and 100 open files, and one holder process with one listener
and one connection on a port of its own (P). It is built twice per size: the holder started
before the workers (first in /proc order: the lowest PID) and after them (last: the highest PID),
because the owner walk reads /proc in PID order and stops at the owner. Everything it starts is
ended before the next build (the holder and the workers; the connections are reset, leaving no
TIME_WAIT), and it prints the host's process and descriptor counts.

Timed in this pwsh (best, median and worst of -Runs, after one warm-up), each beside ss doing
the same, with ss's wall time as a child process including reading its output:

  Get-TcpConnection -LocalPort P, reading the owner      ss -tanp '( sport = :P )'
  Get-TcpConnection -OwningProcess <holder>              the same ss line
  Test-TcpBind -Port P / the AddressInUse error          the same ss line
  every row with its owner: (Get-TcpConnection).OwningProcess     ss -tanp
  Get-TcpConnection | Measure-Object (no owner read)     ss -tan

"cold": the owners remembered from earlier reads are forgotten before each call (a fresh session);
"warm": they are not (a script asking in a loop). Loopback only. Linux; root sees every process.

.PARAMETER Processes
Host sizes (worker processes). Default 400 and 1600.

.PARAMETER Runs
Timed runs per figure. Default 5.

.PARAMETER LockFile
The table lock held while the host is full (an exclusive flock). Default: tcpclose-table.lock in
the OS temp folder, as every TcpClose benchmark.

.PARAMETER NoBuild
Use the module staged in out/ and the benchmark already built, as they are.

.EXAMPLE
pwsh -NoProfile -File tests/TcpClose.Benchmarks/Owners.Bench.ps1 -Processes 400,1600
#>
[CmdletBinding()]
param(
    [string[]]$Processes = @('400', '1600'),
    [ValidateRange(3, 15)]
    [int]$Runs = 5,
    [string]$LockFile = (Join-Path ([System.IO.Path]::GetTempPath()) 'tcpclose-table.lock'),
    [switch]$NoBuild
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'StagedModule.ps1')
$null = Import-StagedModule -Build $(if ($NoBuild) { 'None' } else { 'Benchmark' })
$benchDll = Join-Path $PSScriptRoot 'bin/Release/net10.0/TcpClose.Benchmarks.dll'
. (Join-Path $PSScriptRoot 'TableLock.ps1')
. (Join-Path $PSScriptRoot 'HeldProcess.ps1')
$tableLock = Enter-TcpTableLock -Path $LockFile
$Processes = @($Processes | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$null = Get-TcpListener   # loads TcpClose.Core, where the owners are remembered
$seen = [TcpClose.TcpTable].Assembly.GetType('TcpClose.SocketOwners').GetField('s_seen', [Reflection.BindingFlags]'NonPublic, Static').GetValue($null)

. (Join-Path $PSScriptRoot 'Measure.ps1')
# "cold": the owners remembered from earlier reads are forgotten before each call.
function Measure-Owners([scriptblock]$Block, [switch]$Cold) {
    Measure-Ms -Runs $Runs -Block $Block -BeforeEach $(if ($Cold) { { $seen.Clear() } })
}

Write-Host ("{0} cores, {1}, pwsh {2}; {3} runs per figure" -f [Environment]::ProcessorCount, [Runtime.InteropServices.RuntimeInformation]::OSDescription, $PSVersionTable.PSVersion, $Runs)
$results = [System.Collections.Generic.List[object]]::new()
foreach ($size in $Processes) {
    foreach ($placement in 'first', 'last') {
        # The benchmark process accepts every connection, and one process may hold 20,000
        # descriptors here (RLIMIT_NOFILE): larger hosts get fewer connections per worker.
        $conns = [math]::Min(20, [math]::Floor(16000 / [int]$size))
        $fill = Start-HeldProcess -FilePath 'dotnet' -Echo -Ready '^ready: port (\d+) holder (\d+) processes (\d+) descriptors (\d+)' `
            -ArgumentList (@($benchDll, '--owners', $size, '--conns', $conns, '--hold') + @(if ($placement -eq 'last') { '--holder-last' }))
        try {
            $ready = $fill.Ready
            $port = [int]$ready[1]; $holder = [int]$ready[2]
            $where = "$size workers, holder $placement ($($ready[3]) processes, $($ready[4]) descriptors)"

            $ssOne = Measure-Owners { & ss -tanp "( sport = :$port )" }
            $ssAll = Measure-Owners { & ss -tanp }
            $ssNoOwners = Measure-Owners { & ss -tan }
            $figures = [ordered]@{
                'Get-TcpConnection -LocalPort P (owner)'  = @({ $r = Get-TcpConnection -LocalPort $port; $r.OwningProcess }, $ssOne, 0.5)
                'Get-TcpConnection -OwningProcess holder' = @({ Get-TcpConnection -OwningProcess $holder }, $ssOne, 0.1)
                'Test-TcpBind -Port P'                    = @({ Test-TcpBind -Port $port }, $ssOne, 0.5)
                'AddressInUse error (Start-TcpListener)'  = @({ try { Start-TcpListener -Port $port } catch { $_.Exception.Message } }, $ssOne, 0.5)
                'every row with owner (.OwningProcess)'   = @({ (Get-TcpConnection).OwningProcess }, $ssAll, 0.8)
                'Get-TcpConnection | Measure-Object'      = @({ Get-TcpConnection | Measure-Object }, $ssNoOwners, $null)
            }
            foreach ($name in $figures.Keys) {
                $block, $ss, $target = $figures[$name]
                foreach ($mode in 'cold', 'warm') {
                    if ($name -eq 'Get-TcpConnection -OwningProcess holder' -and $mode -eq 'warm') { continue } # reads no memory
                    $t = Measure-Owners $block -Cold:($mode -eq 'cold')
                    $results.Add([pscustomobject]@{
                            Host = $where; Command = $name; Mode = $mode
                            Best = $t.Best; Median = $t.Median; Worst = $t.Worst; Ss = $ss.Median
                            Ratio = $t.Median / $ss.Median; Target = $target
                        })
                }
            }
            Write-Host ("  ss -tanp '( sport = :P )' {0:N1} / {1:N1} / {2:N1} ms; ss -tanp {3:N1} ms; ss -tan {4:N1} ms (best / median / worst; median)" -f $ssOne.Best, $ssOne.Median, $ssOne.Worst, $ssAll.Median, $ssNoOwners.Median)
        }
        finally {
            Stop-HeldProcess $fill -Echo
        }
    }
}
$tableLock.Dispose()

Write-Host ''
foreach ($group in $results | Group-Object Host) {
    Write-Host $group.Name
    Write-Host ('  {0,-42} {1,-5} {2,8} {3,8} {4,8} {5,9} {6,7} {7}' -f 'command', 'mode', 'best ms', 'median', 'worst', 'ss median', 'x ss', 'target')
    foreach ($r in $group.Group) {
        $verdict = if ($null -eq $r.Target) { '' } elseif ($r.Ratio -le $r.Target) { "<= $($r.Target): met" } else { "<= $($r.Target): not met" }
        Write-Host ('  {0,-42} {1,-5} {2,8:N1} {3,8:N1} {4,8:N1} {5,9:N1} {6,7:N2} {7}' -f $r.Command, $r.Mode, $r.Best, $r.Median, $r.Worst, $r.Ss, $r.Ratio, $verdict)
    }
}
