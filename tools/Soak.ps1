#Requires -Version 5.1
<#
.SYNOPSIS
Soak test: thousands of listener -> connect -> accept -> send -> close cycles in one PowerShell
session, printing the process's open file descriptors, the module's registry size and managed
memory (after a full GC) at the start, every -ReportEvery cycles and at the end. Flat is the target.

.DESCRIPTION
Each cycle starts a listener on one loopback port (SO_REUSEADDR on every listener, so the port can
be bound again while the previous cycles' connections sit in TIME_WAIT), connects, accepts, sends
4 bytes and reads them, stops the listener and closes the pair in the cycle's close style, in turn:
Graceful, Linger (5 s, returns at once on loopback), Abort (RST) and HalfClose (the server closes
first, the client half-closes and drains until the server's FIN). The closer's peer always closes
too, so an open connection is a leak.

It puts up to ~7,500 TIME_WAIT rows in the table: it holds the table lock (-LockFile) while it runs. At the end
it destroys the TIME_WAIT rows of its own port (ss -K, Linux, needs CAP_NET_ADMIN) and says so.

    pwsh -NoProfile -File tools/Soak.ps1

The file descriptor count comes from /proc/self/fd (Linux); elsewhere it is the process's handle
count, which includes far more than sockets.

.PARAMETER Cycles
How many cycles. Default 10000.

.PARAMETER ReportEvery
Print the figures every this many cycles. Default 1000.

.PARAMETER ModulePath
The module to soak. Default: the staged copy of the manifest's version under out/.
#>
[CmdletBinding()]
param(
    # The table lock (an exclusive flock on this file) held while it runs; the default is the one
    # every TcpClose benchmark uses: tcpclose-table.lock in the OS temp folder.
    [string] $LockFile = (Join-Path ([System.IO.Path]::GetTempPath()) 'tcpclose-table.lock'),

    [ValidateRange(4, 1000000)]
    [int] $Cycles = 10000,

    [ValidateRange(1, 1000000)]
    [int] $ReportEvery = 1000,

    [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# Held until this script's process ends (it runs with pwsh -File).
. (Join-Path (Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'tests') 'TcpClose.Benchmarks') 'TableLock.ps1')
$tableLock = Enter-TcpTableLock -Path $LockFile

$root = Split-Path -Parent $PSScriptRoot
if (-not $ModulePath) {
    $version = (Import-PowerShellDataFile -Path (Join-Path $root 'TcpClose.psd1')).ModuleVersion
    $ModulePath = Join-Path $root "out/TcpClose/$version/TcpClose.psd1"
}
Import-Module $ModulePath -Force

$onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
$process = [System.Diagnostics.Process]::GetCurrentProcess()

function Get-Figures([int] $cycle, [System.Diagnostics.Stopwatch] $clock) {
    $fds = if ($onLinux) { [System.IO.Directory]::GetFiles('/proc/self/fd').Count } else { $process.Refresh(); $process.HandleCount }
    [pscustomobject]@{
        Cycle       = $cycle
        Seconds     = [math]::Round($clock.Elapsed.TotalSeconds, 1)
        Fds         = $fds
        Listeners   = [TcpClose.TcpRegistry]::Listeners.Count
        Connections = [TcpClose.TcpRegistry]::Connections.Count
        ManagedKB   = [math]::Round([GC]::GetTotalMemory($true) / 1KB)
        TimeWait    = if ($onLinux) { @(Get-TcpTimeWait -LocalPort $script:port).Count + @(Get-TcpTimeWait -RemotePort $script:port).Count } else { $null }
    }
}

$styles = 'Graceful', 'Linger', 'Abort', 'HalfClose'
$script:port = 0
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$figures = [System.Collections.Generic.List[object]]::new()
$errors = 0
try {
    # Warm-up: one cycle of each style first, so JIT and first-use caches are not counted as growth.
    for ($cycle = -4; $cycle -le $Cycles; $cycle++) {
        if ($cycle -eq 0 -or ($cycle -gt 0 -and $cycle % $ReportEvery -eq 0) -or $cycle -eq $Cycles) {
            $f = Get-Figures $cycle $clock
            $figures.Add($f)
            Write-Host ('cycle {0,6}  {1,7:0.0} s  fds {2,4}  listeners {3}  connections {4}  managed {5,7:N0} KB  TIME_WAIT rows on port {6}: {7}' -f
                $f.Cycle, $f.Seconds, $f.Fds, $f.Listeners, $f.Connections, $f.ManagedKB, $script:port, $f.TimeWait)
            if ($cycle -eq $Cycles) { break }
        }
        $style = $styles[($cycle + 4) % 4]
        try {
            $listener = Start-TcpListener -Port $script:port -ReuseAddress -Name soak
            $script:port = $listener.LocalPort
            $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $script:port -Timeout 5
            $server = Wait-TcpConnection -Listener $listener -Timeout 5
            $listener | Stop-TcpListener -Confirm:$false
            $null = Send-TcpData -Connection $client -Text 'ping'
            $null = Receive-TcpData -Connection $server -MaxBytes 4 -Timeout 5
            switch ($style) {
                'Graceful' { $null = $client | Close-TcpConnection -Confirm:$false }
                'Linger' { $null = $client | Close-TcpConnection -Linger 5 -Confirm:$false }
                'Abort' { $null = $client | Close-TcpConnection -Abort -Confirm:$false }
                'HalfClose' {
                    $null = $server | Close-TcpConnection -Confirm:$false
                    $null = $client | Close-TcpConnection -HalfClose -Timeout 5 -Confirm:$false
                }
            }
            if ($style -ne 'HalfClose') {
                $null = Receive-TcpData -Connection $server -UntilClosed -Timeout 5
                $null = $server | Close-TcpConnection -Confirm:$false
            }
        }
        catch {
            $errors++
            Write-Warning "cycle $cycle ($style): $($_.FullyQualifiedErrorId): $($_.Exception.Message)"
            if ($errors -gt 10) { throw 'More than 10 failed cycles: stopping.' }
        }
    }
}
finally {
    Get-TcpListener | Stop-TcpListener -Confirm:$false
    if ($onLinux -and $script:port -ne 0) {
        $before = @(Get-TcpTimeWait -LocalPort $script:port).Count + @(Get-TcpTimeWait -RemotePort $script:port).Count
        & ss -K -tn state time-wait "( sport = :$($script:port) or dport = :$($script:port) )" | Out-Null
        $after = @(Get-TcpTimeWait -LocalPort $script:port).Count + @(Get-TcpTimeWait -RemotePort $script:port).Count
        Write-Host "cleanup: destroyed the TIME_WAIT rows of port $($script:port) with ss -K: $before before, $after after"
    }
}

$first = $figures | Where-Object Cycle -eq 0
$last = $figures[$figures.Count - 1]
Write-Host ('{0} cycles in {1:0.0} s ({2:0.00} ms per cycle), {3} failed; from cycle 0 to {0}: fds {4} -> {5}, registry {6} -> {7}, managed {8:N0} -> {9:N0} KB' -f
    $last.Cycle, ($last.Seconds - $first.Seconds), (1000 * ($last.Seconds - $first.Seconds) / [math]::Max(1, $last.Cycle)), $errors,
    $first.Fds, $last.Fds, ($first.Listeners + $first.Connections), ($last.Listeners + $last.Connections), $first.ManagedKB, $last.ManagedKB)
