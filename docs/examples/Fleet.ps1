<#
.SYNOPSIS
Surveys a fleet for destinations close to running out of ephemeral ports, optionally clears one
host's TIME_WAIT rows, and says which hosts did not answer.

.DESCRIPTION
Copy it and run it from an admin workstation. It uses PowerShell remoting, the engine a fleet is
already run with: a session per host (New-PSSession -HostName, over SSH), then Invoke-Command on
every session at once, up to -ThrottleLimit. For Windows hosts over WinRM, change -HostName to
-ComputerName in the New-PSSession line (this script was run only over SSH). TcpClose must be installed on each host
(Install-PSResource TcpClose from your repository).

The survey runs Get-TcpPortUsage on each host, so only one summary row per destination comes back,
not the host's whole table. Rows come back with PSComputerName and are filtered and sorted here:
destinations that run out at their current rate first (ExhaustedIn, soonest first), then the most
used (PercentUsed). ExhaustedIn and TimeWaitPerSecond come from the exact TIME_WAIT timers of Linux
hosts; Windows and macOS hosts report none.

With -ClearTimeWaitOn, the TIME_WAIT rows of that host are removed (Remove-TcpConnection; Linux
as root, or elevated Windows for IPv4 rows), and the removal results are written too.

A host that does not answer (down, unreachable, no TcpClose) is named in a warning with
PowerShell's own error; the other hosts' rows still come back.

.PARAMETER HostName
The hosts, as ssh knows them (names in your ssh config, or addresses).

.PARAMETER PercentUsed
Leave out destinations below this PercentUsed that do not run out at their rate. Default 0: all.

.PARAMETER ClearTimeWaitOn
A host whose TIME_WAIT rows to remove.

.PARAMETER ThrottleLimit
How many hosts at once. Default 32 (PowerShell's default).

.EXAMPLE
./Fleet.ps1 -HostName web01, web02, web03 -PercentUsed 20

.EXAMPLE
./Fleet.ps1 -HostName web01, web02 -ClearTimeWaitOn web02
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string[]] $HostName,

    [double] $PercentUsed = 0,

    [string] $ClearTimeWaitOn,

    [int] $ThrottleLimit = 32
)

# A session per host (PowerShell remoting over SSH): a host that does not answer is an error,
# collected; the others go on. (Invoke-Command -HostName takes no -ThrottleLimit; sessions do.)
$sessions = @(New-PSSession -HostName $HostName -ErrorVariable unreachable -ErrorAction SilentlyContinue)
try {
    # One summary row per destination and host comes back, not the hosts' tables.
    $survey = if ($sessions) {
        Invoke-Command -Session $sessions -ThrottleLimit $ThrottleLimit -ErrorVariable +unreachable -ErrorAction SilentlyContinue -ScriptBlock {
            Import-Module TcpClose
            Get-TcpPortUsage
        }
    }

    $survey |
        Where-Object { $null -ne $_.ExhaustedIn -or $_.PercentUsed -ge $PercentUsed } |
        Sort-Object @{ Expression = { if ($null -ne $_.ExhaustedIn) { $_.ExhaustedIn } else { [TimeSpan]::MaxValue } } },
            @{ Expression = 'PercentUsed'; Descending = $true }

    $clear = @($sessions | Where-Object ComputerName -eq $ClearTimeWaitOn)
    if ($clear) {
        Invoke-Command -Session $clear -ScriptBlock {
            Get-TcpTimeWait | Remove-TcpConnection -Confirm:$false
        }
    }
}
finally {
    $sessions | Remove-PSSession
}

foreach ($failure in $unreachable) {
    # PowerShell's message names the host: "[web04] The SSH client session has ended ...".
    Write-Warning "A host did not answer: $failure"
}
