#Requires -Version 7.4
<#
.SYNOPSIS
A fleet through PowerShell remoting: rows per second and total time of Invoke-Command over 4 and 8
hosts with 10,000 TIME_WAIT rows each.

.DESCRIPTION
Makes 8 test hosts (network namespaces reached over SSH, tests/Fleet.ps1; the package installed on
each), fills each with -Rows TIME_WAIT rows on its own loopback (TcpClose.Benchmarks --timewait
--hold, run inside the namespace), opens one session per host, and times, over the first 4 hosts
and over all 8 (best of -Runs):

  full rows   Invoke-Command { Get-TcpTimeWait }     every row serialized, sent, rebuilt here
  summary     Invoke-Command { Get-TcpPortUsage }    one row per destination, made on the host

each fanned out (Invoke-Command -Session $all -ThrottleLimit 32) and one host after another
(ThrottleLimit 1). Session set-up is timed once, apart. TIME_WAIT rows last 60 s: the fills are
made just before the measurements and the runs are few. Everything is removed at the end.
Linux, root (namespaces), sshd. Loopback only.

.EXAMPLE
pwsh -NoProfile -File tests/TcpClose.Benchmarks/Fleet.Bench.ps1
#>
[CmdletBinding()]
param(
    [int]$Rows = 10000,
    [ValidateRange(1, 5)]
    [int]$Runs = 2,
    [string]$LockFile = (Join-Path ([System.IO.Path]::GetTempPath()) 'tcpclose-table.lock')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
$env:TCPCLOSE_MODULE_PATH = Join-Path $root "out/TcpClose/$((Import-PowerShellDataFile -Path (Join-Path $root 'TcpClose.psd1')).ModuleVersion)/TcpClose.psd1"
. (Join-Path $root 'tests/TestHelpers.ps1')
. (Join-Path $root 'tests/Fleet.ps1')
. (Join-Path $PSScriptRoot 'TableLock.ps1')
. (Join-Path $PSScriptRoot 'HeldProcess.ps1')
$skip = Get-TcpFleetSkipReason
if ($skip) { throw "No test hosts here: $skip" }
$benchDll = Join-Path $PSScriptRoot 'bin/Release/net10.0/TcpClose.Benchmarks.dll'
if (-not (Test-Path -LiteralPath $benchDll)) { throw "Build the benchmark first: dotnet build -c Release $PSScriptRoot" }
$tableLock = Enter-TcpTableLock -Path $LockFile

$names = 1..8 | ForEach-Object { "tcpclose-bench$_" }
Write-Host ("{0} cores, {1}, pwsh {2}; {3} TIME_WAIT rows per host, best of {4}" -f [Environment]::ProcessorCount, [Runtime.InteropServices.RuntimeInformation]::OSDescription, $PSVersionTable.PSVersion, $Rows, $Runs)
$fleet = New-TcpFleet -Name $names
$fills = @()
$sessions = @()
try {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $sessions = @(New-PSSession -HostName $names)
    Write-Host ("sessions: {0} opened in {1:N1} s" -f $sessions.Count, $clock.Elapsed.TotalSeconds)
    $null = Invoke-Command -Session $sessions { Import-Module TcpClose; $null = Get-TcpTimeWait }   # warm-up

    # The fills: one per host, inside its namespace, at once; each holds its rows until told. Made
    # anew before each group of measurements, so no row has expired while it is timed.
    function Start-Fill([string[]] $On) {
        $made = foreach ($h in $On) {
            Start-HeldProcess -NoWait -FilePath 'ip' -ArgumentList 'netns', 'exec', $h, 'dotnet', $benchDll, '--timewait', $Rows, '--hold'
        }
        foreach ($fill in $made) { Wait-HeldProcess $fill }
        $made
    }
    function Stop-Fill($Fills) {
        foreach ($fill in $Fills) { Stop-HeldProcess $fill }
    }

    $results = foreach ($count in 4, 8) {
        $some = $sessions[0..($count - 1)]
        foreach ($what in 'full rows', 'summary') {
            $fills = @(Start-Fill -On $names[0..($count - 1)])
            $block = if ($what -eq 'full rows') { { Get-TcpTimeWait } } else { { Get-TcpPortUsage } }
            foreach ($throttle in 32, 1) {
                $best = [double]::MaxValue
                $got = 0
                $rowsThere = 0
                foreach ($run in 1..$Runs) {
                    $sw = [Diagnostics.Stopwatch]::StartNew()
                    $out = @(Invoke-Command -Session $some -ThrottleLimit $throttle -ScriptBlock $block)
                    $sw.Stop()
                    $best = [math]::Min($best, $sw.Elapsed.TotalMilliseconds)
                    $got = $out.Count
                    # The table rows behind the answer: the rows themselves, or what the summary
                    # counted (the fill's clients close first: their TIME_WAIT rows are outgoing).
                    $rowsThere = if ($what -eq 'full rows') { $got } else { ($out | Measure-Object -Property TimeWait -Sum).Sum }
                }
                [pscustomobject]@{
                    Hosts = $count; What = $what; Mode = $(if ($throttle -eq 1) { 'one host after another' } else { 'fan-out (ThrottleLimit 32)' })
                    Objects = $got; TableRows = $rowsThere; Ms = $best; RowsPerSecond = $rowsThere / ($best / 1000)
                }
            }
            Stop-Fill $fills
            $fills = @()
        }
    }
    Write-Host ''
    Write-Host ('{0,5} {1,-10} {2,-28} {3,8} {4,10} {5,10} {6,16}' -f 'hosts', 'what', 'mode', 'objects', 'table rows', 'best ms', 'table rows / s')
    foreach ($r in $results) {
        Write-Host ('{0,5} {1,-10} {2,-28} {3,8} {4,10} {5,10:N0} {6,16:N0}' -f $r.Hosts, $r.What, $r.Mode, $r.Objects, $r.TableRows, $r.Ms, $r.RowsPerSecond)
    }
}
finally {
    if ($fills) { Stop-Fill $fills }
    $sessions | Remove-PSSession
    Remove-TcpFleet $fleet
    $tableLock.Dispose()
}
