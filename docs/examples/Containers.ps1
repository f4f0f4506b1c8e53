<#
.SYNOPSIS
Which container is running out of ephemeral ports, and what holds a port inside it.

.DESCRIPTION
Copy it and run it as root on a container host (Docker, Podman, a Kubernetes node, or namespaces
made with `ip netns add`). Every container has a network namespace of its own, with its own TCP
table and its own ip_local_port_range, so a container that runs out of ports, or a port held inside
one, cannot be seen in the host's table.

Part 1 surveys every network namespace of the host (Get-TcpNetworkNamespace) and reads each one's
ephemeral port usage against that namespace's own range (Get-TcpPortUsage): one row per namespace and
destination above -PercentUsed, most used first, with the container id and first process of the
namespace it is in.

Part 2, with -Port, names what holds that port inside each namespace (or only -NetworkNamespace):
the listener or connections and their owning process, and the TIME_WAIT rows with the longest time
left; then whether a new listener could bind there now (Test-TcpBind). Only namespaces where
something holds the port are written.

Needs root: entering another namespace needs CAP_SYS_ADMIN.

.PARAMETER PercentUsed
Leave out destinations that use less of their namespace's ephemeral range than this. Default 50.

.PARAMETER Port
A local port to explain in every namespace (part 2). Without it, only the survey runs.

.PARAMETER NetworkNamespace
Explain -Port only in these namespaces (names, net:[INODE], PIDs or namespace files). Default: all.

.EXAMPLE
./Containers.ps1

.EXAMPLE
./Containers.ps1 -PercentUsed 20 -Port 8080
#>
[CmdletBinding()]
param(
    [double] $PercentUsed = 50,

    [ValidateRange(1, 65535)]
    [int] $Port,

    [string[]] $NetworkNamespace
)

if (-not (Get-Module TcpClose)) { Import-Module TcpClose -ErrorAction Stop }
$namespaces = @(Get-TcpNetworkNamespace)
$byName = @{}
foreach ($n in $namespaces) { $byName[$n.NetworkNamespace] = $n }

# Part 1: who is running out of ports. Each namespace's connections are counted against its own
# ip_local_port_range; the namespace objects bind to -NetworkNamespace by property name.
$namespaces | Get-TcpPortUsage | Where-Object PercentUsed -ge $PercentUsed |
    Sort-Object PercentUsed -Descending |
    ForEach-Object {
        $n = $byName[$_.NetworkNamespace]
        [pscustomobject]@{
            PSTypeName       = 'TcpClose.Example.PortPressure'
            NetworkNamespace = $_.NetworkNamespace
            Container        = if ($n.ContainerId) { $n.ContainerId.Substring(0, 12) } else { $null }
            Process          = if ($n.ProcessId) { "$($n.ProcessName) ($($n.ProcessId))" } else { $null }
            Destination      = "$($_.RemoteAddress):$($_.RemotePort)"
            Used             = $_.Total
            Of               = $_.EphemeralPorts
            PercentUsed      = $_.PercentUsed
            ExhaustedIn      = $_.ExhaustedIn
        }
    }

# Part 2: what holds -Port inside each namespace.
if ($Port) {
    $where = if ($NetworkNamespace) { $NetworkNamespace } else { $namespaces.NetworkNamespace }
    foreach ($ns in $where) {
        $rows = @(Get-TcpConnection -NetworkNamespace $ns -LocalPort $Port)
        if (-not $rows) { continue }
        $timeWait = @(Get-TcpTimeWait -NetworkNamespace $ns -LocalPort $Port)
        $bind = Test-TcpBind -NetworkNamespace $ns -Port $Port -Address 0.0.0.0
        $live = @($rows | Where-Object State -ne 'TimeWait')
        [pscustomobject]@{
            PSTypeName       = 'TcpClose.Example.PortHolder'
            NetworkNamespace = $ns
            Port             = $Port
            Holders          = @($live | ForEach-Object { "$($_.State) $($_.LocalAddress) by $($_.ProcessName) ($($_.OwningProcess))" })
            TimeWait         = $timeWait.Count
            LongestTimeWait  = ($timeWait | Measure-Object RemainingSeconds -Maximum).Maximum
            CanBind          = $bind.CanBind
            Advice           = $bind.Advice
        }
    }
}
