# A fleet of hosts, as admins run one: four hosts (network namespaces with their own TCP tables,
# tests/Fleet.ps1), the package installed on each with Install-PSResource, and one command across
# all of them through PowerShell remoting over SSH (Invoke-Command -HostName). Each test makes the
# rows it asserts on inside the hosts; nothing goes over a network.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'Fleet.ps1')
    $hosts = 'web01', 'web02', 'web03', 'web04'

    function New-HostTimeWait {
        # Inside one host: a listener, connections to it, and the given side closing first; returns
        # the listener's port. -ClientFirst leaves the clients' ports in TIME_WAIT (outgoing
        # connections, as Get-TcpPortUsage counts them), else the server's side.
        param([string] $HostName, [int] $Count = 1, [switch] $ClientFirst)
        Invoke-Command -HostName $HostName -ErrorAction Stop -ScriptBlock {
            param($Count, $ClientFirst)
            Import-Module TcpClose
            $listener = Start-TcpListener
            foreach ($i in 1..$Count) {
                $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort
                $server = Wait-TcpConnection -Listener $listener -Timeout 5
                $first, $second = if ($ClientFirst) { $client, $server } else { $server, $client }
                $null = $first | Close-TcpConnection -Confirm:$false
                $null = Receive-TcpData -Connection $second -UntilClosed -Timeout 5
                $null = $second | Close-TcpConnection -Confirm:$false
            }
            $listener | Stop-TcpListener -Confirm:$false
            $listener.LocalPort
        } -ArgumentList $Count, $ClientFirst.IsPresent
    }
}

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Fleet.ps1')
    $fleetSkip = Get-TcpFleetSkipReason
}

Describe 'A fleet of hosts through PowerShell remoting' -Skip:([bool]$fleetSkip) {
    BeforeAll {
        $fleet = New-TcpFleet -Name $hosts
    }
    AfterAll {
        Remove-TcpFleet $fleet
    }

    It 'installs the package on every host with Install-PSResource, and each imports it by name' {
        $fleet.Installed | Should -Be @(1..4 | ForEach-Object { (Get-Module TcpClose).Version.ToString() })
        $seen = @(Invoke-Command -HostName $hosts { Import-Module TcpClose; (Get-Module TcpClose).ModuleBase })
        $seen.Count | Should -Be 4
        $seen | ForEach-Object { $_ | Should -Match '/home/web0\d/\.local/share/powershell/Modules/TcpClose/' }
        @($seen.PSComputerName | Sort-Object) | Should -Be $hosts
    }

    It 'shows a TIME_WAIT row made on host 3 for host 3 only, with its PSComputerName, in the module''s view on the caller''s side' {
        $port = New-HostTimeWait -HostName web03
        $rows = @(Invoke-Command -HostName $hosts { Import-Module TcpClose; Get-TcpTimeWait })
        $rows.Count | Should -Be 1
        $rows[0].PSComputerName | Should -Be 'web03'
        $rows[0].LocalPort | Should -Be $port
        $rows[0].pstypenames[0] | Should -Be 'Deserialized.TcpClose.TimeWaitEntry'
        # Formatted here, with the module's table view (imported in this session), not as a list.
        $text = $rows | Out-String -Width 80
        $text | Should -Match '(?m)^LocalAddress\s+LocalPort\s+RemoteAddress\s+RemotePort\s+RemainingSeconds'
        $text | Should -Not -Match '(?m)^PSComputerName\s+:'
    }

    It 'summarizes port usage on every host and lets the caller filter and sort it' {
        $p2 = New-HostTimeWait -HostName web02 -Count 5 -ClientFirst
        $p4 = New-HostTimeWait -HostName web04 -Count 2 -ClientFirst
        # This test's two destinations (other rows: a stopped listener's leftovers count as one each).
        $usage = @(Invoke-Command -HostName $hosts { Import-Module TcpClose; Get-TcpPortUsage } |
                Where-Object { ($_.PSComputerName -eq 'web02' -and $_.RemotePort -eq $p2) -or ($_.PSComputerName -eq 'web04' -and $_.RemotePort -eq $p4) } |
                Sort-Object TimeWait -Descending)
        $usage.PSComputerName | Should -Be @('web02', 'web04')
        $usage.RemotePort | Should -Be @($p2, $p4)
        $usage.TimeWait | Should -Be @(5, 2)
        $usage | ForEach-Object { $_.TimeWaitPerSecond | Should -BeGreaterThan 0 }
    }

    It 'clears host 2''s TIME_WAIT rows with Remove-TcpConnection and no other host''s' {
        $null = New-HostTimeWait -HostName web01
        $before = @(Invoke-Command -HostName $hosts { Import-Module TcpClose; Get-TcpTimeWait })
        @($before | Where-Object PSComputerName -eq 'web02').Count | Should -BeGreaterThan 0
        $others = @($before | Where-Object PSComputerName -ne 'web02')
        $others.Count | Should -BeGreaterThan 0

        $removed = @(Invoke-Command -HostName web02 { Import-Module TcpClose; Get-TcpTimeWait | Remove-TcpConnection -Confirm:$false })

        $removed.Count | Should -Be @($before | Where-Object PSComputerName -eq 'web02').Count
        $removed | ForEach-Object { $_.Outcome | Should -Be 'Removed' }
        $after = @(Invoke-Command -HostName $hosts { Import-Module TcpClose; Get-TcpTimeWait })
        @($after | Where-Object PSComputerName -eq 'web02').Count | Should -Be 0
        @($after | ForEach-Object { "$($_.PSComputerName) $($_.LocalPort) $($_.RemotePort)" } | Sort-Object) |
            Should -Be @($others | ForEach-Object { "$($_.PSComputerName) $($_.LocalPort) $($_.RemotePort)" } | Sort-Object)
    }

    It 'restarts a service inside one host, driven from the caller: AddressInUse while TIME_WAIT lasts, then a clean restart' {
        $session = New-PSSession -HostName web01
        try {
            $port = Invoke-Command -Session $session {
                Import-Module TcpClose
                $service = Start-TcpListener -Name service
                $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $service.LocalPort
                $served = Wait-TcpConnection -Listener $service -Timeout 5
                $null = $served | Close-TcpConnection -Confirm:$false          # the service closes first
                $null = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
                $null = $client | Close-TcpConnection -Confirm:$false
                $service | Stop-TcpListener -Confirm:$false
                $service.LocalPort
            }
            Invoke-Command -Session $session { param($p) Start-TcpListener -Port $p -Name service } -ArgumentList $port -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed.Count | Should -Be 1
            $failed[0].FullyQualifiedErrorId | Should -Be 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand'
            $failed[0].OriginInfo.PSComputerName | Should -Be 'web01'

            $verdict = Invoke-Command -Session $session { param($p) Test-TcpBind -Port $p } -ArgumentList $port
            $verdict.CanBind | Should -BeFalse
            $verdict.TimeWaitCount | Should -Be 1

            $restarted = Invoke-Command -Session $session {
                param($p)
                $null = Get-TcpTimeWait -LocalPort $p | Remove-TcpConnection -Confirm:$false
                Start-TcpListener -Port $p -Name service
            } -ArgumentList $port
            $restarted.LocalPort | Should -Be $port
            $restarted.State | Should -Be 'Listening'
            (Invoke-Command -HostName web01 { param($p) Import-Module TcpClose; "$((Test-TcpPort -RemotePort $p).Result)" } -ArgumentList $port) | Should -Be 'Connected'
        }
        finally {
            Remove-PSSession $session
        }
    }

    It 'brings the other hosts'' rows when one host is gone, and PowerShell''s own error naming that host' {
        $null = New-HostTimeWait -HostName web03
        ip netns delete web04
        $fleet.Made.Remove('web04') | Out-Null

        $rows = @(Invoke-Command -HostName $hosts { Import-Module TcpClose; Get-TcpTimeWait } -ErrorVariable unreachable -ErrorAction SilentlyContinue)

        @($rows.PSComputerName | Sort-Object -Unique) | Should -Contain 'web03'
        $rows.PSComputerName | Should -Not -Contain 'web04'
        $unreachable.Count | Should -Be 1
        "$($unreachable[0])" | Should -Match 'web04'
        $unreachable[0].FullyQualifiedErrorId | Should -Match 'PSSessionStateBroken|PSSessionOpenFailed'
    }

    It 'runs the fleet example: hosts near exhaustion first, a TIME_WAIT clean-up on one host, and the host that does not answer' {
        $example = Join-Path (Split-Path -Parent $PSScriptRoot) 'docs/examples/Fleet.ps1'
        $port = New-HostTimeWait -HostName web02 -Count 3 -ClientFirst
        $out = @(& $example -HostName $hosts -ClearTimeWaitOn web02 -WarningVariable warned 3>$null)

        $survey = @($out | Where-Object { $_.pstypenames -contains 'Deserialized.TcpClose.PortUsageEntry' })
        $survey.Count | Should -BeGreaterThan 0
        $survey[0].PSComputerName | Should -Be 'web02'
        $survey[0].RemotePort | Should -Be $port
        @($out | Where-Object { $_.pstypenames -contains 'Deserialized.TcpClose.RemovalResult' }).Count | Should -Be 3
        "$warned" | Should -Match 'web04'
        @(Invoke-Command -HostName web02 { Import-Module TcpClose; Get-TcpTimeWait }).Count | Should -Be 0
    }
}
