<#
.SYNOPSIS
A Pester 5 suite that restarts a TCP service inside a network namespace of its own and asserts,
from the kernel's own counters, what its stop sent on the wire.

.DESCRIPTION
A restart test usually checks that the service comes back. This one also checks how it went away:
a graceful stop closes every connection with a FIN (no reset reaches a client, each closed
connection leaves one TIME_WAIT row), while an abortive stop (SO_LINGER 0) resets each connection.
The kernel counts both per network namespace (Get-TcpStatistic: OutRsts, TCPAbortOnData,
TCPAbortOnClose, TW), so in a namespace that nothing else uses the counts are exact: N connections,
N of each.

The service here is a listener made inside the namespace (Start-TcpListener -NetworkNamespace) that
reads each request, answers and closes first; replace Start-Service and Stop-Service with your
service's start and stop (for example `ip netns exec $Namespace your-service`).

Run it with:

    Invoke-Pester -Path ./RestartCounters.Tests.ps1 -Output Detailed

Linux, as root (a namespace of the suite's own), with iproute2 (`ip`); elsewhere it skips and says
why. It imports TcpClose by name, or the manifest that TCPCLOSE_MODULE_PATH names. Loopback only;
the namespace, and every row in it, goes at the end.
#>

BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $script:SkipReason = if (-not $onLinux) { 'network namespaces, and counters kept per namespace, are Linux''s' }
        elseif ("$(id -u)" -ne '0') { 'making a network namespace needs root' }
        elseif (-not (Get-Command ip -ErrorAction SilentlyContinue)) { 'needs ip (iproute2) to make the namespace' }
}

BeforeAll {
    $ModulePath = if ($env:TCPCLOSE_MODULE_PATH) { $env:TCPCLOSE_MODULE_PATH } else { 'TcpClose' }
    Import-Module $ModulePath -Force -ErrorAction Stop

    $Namespace = 'restart-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    $Port = 8080   # inside the namespace: no other process there holds it

    function Start-Service {
        Start-TcpListener -NetworkNamespace $Namespace -Port $Port -ReuseAddress -Name 'service'
    }

    # N clients, each served: the request read, the answer sent. Returns the open pairs.
    function Invoke-Client([Parameter(Mandatory)] $Service, [int] $Count) {
        for ($i = 0; $i -lt $Count; $i++) {
            $client = New-TcpConnection -NetworkNamespace $Namespace -RemoteAddress 127.0.0.1 -RemotePort $Port -Timeout 5
            $server = Wait-TcpConnection -Listener $Service -Timeout 5
            $null = $client | Send-TcpData -Text "GET $i`n"
            $null = Receive-TcpData -Connection $server -Timeout 5          # nothing left unread
            $null = $server | Send-TcpData -Text "200 $i`n"
            $null = Receive-TcpData -Connection $client -Timeout 5
            [pscustomobject]@{ Client = $client; Server = $server }
        }
    }

    function Stop-Service([Parameter(Mandatory)] $Service, [object[]] $Pairs, [switch] $Abort) {
        foreach ($p in $Pairs) { $null = $p.Server | Close-TcpConnection -Abort:$Abort }
        $Service | Stop-TcpListener
    }

    function Get-Change([object[]] $Before, [string[]] $Name) {
        $now = @{}
        Get-TcpStatistic -NetworkNamespace $Namespace -Name $Name -Since $Before | ForEach-Object { $now[$_.Name] = $_.Delta }
        $now
    }

    ip netns add $Namespace
    ip netns exec $Namespace ip link set lo up
}

AfterAll {
    if (Get-Module TcpClose) { Get-TcpListener -Name 'service' -ErrorAction SilentlyContinue | Stop-TcpListener }
    if ($Namespace) { ip netns delete $Namespace 2>$null }
}

Describe 'A service restarted in a network namespace of its own' -Skip:([bool]$SkipReason) {
    It 'stops gracefully: no reset reaches a client, one TIME_WAIT row per connection, and it restarts' {
        $service = Start-Service
        $pairs = @(Invoke-Client $service 3)
        $before = Get-TcpStatistic -NetworkNamespace $Namespace -All
        Stop-Service $service $pairs
        foreach ($p in $pairs) {
            (Receive-TcpData -Connection $p.Client -UntilClosed -Timeout 5).EndOfStream | Should -BeTrue   # the service's FIN
            $null = $p.Client | Close-TcpConnection
        }
        $service = Start-Service                    # -ReuseAddress on both: the TIME_WAIT rows do not block it
        $change = Get-Change $before OutRsts, TCPAbortOnData, TCPAbortOnClose, TW
        $change.OutRsts | Should -Be 0
        $change.TCPAbortOnData | Should -Be 0
        $change.TCPAbortOnClose | Should -Be 0
        $change.TW | Should -Be 3 -Because 'the service closed each connection first'
        @(Invoke-Client $service 1).Count | Should -Be 1
        Get-TcpListener -Name 'service' | Stop-TcpListener
    }

    It 'stops abortively: exactly one reset per connection, and no TIME_WAIT row' {
        $service = Start-Service
        $pairs = @(Invoke-Client $service 2)
        $before = Get-TcpStatistic -NetworkNamespace $Namespace -All
        Stop-Service $service $pairs -Abort
        foreach ($p in $pairs) {
            (Receive-TcpData -Connection $p.Client -Timeout 5).Reset | Should -BeTrue    # the client saw the RST
            $null = $p.Client | Close-TcpConnection
        }
        $change = Get-Change $before OutRsts, TCPAbortOnData, TCPAbortOnClose, TW
        $change.OutRsts | Should -Be 2
        $change.TCPAbortOnData | Should -Be 2 -Because 'Close-TcpConnection -Abort is SO_LINGER 0'
        $change.TCPAbortOnClose | Should -Be 0
        $change.TW | Should -Be 0
        $service = Start-Service
        Get-TcpListener -Name 'service' | Stop-TcpListener
    }
}
