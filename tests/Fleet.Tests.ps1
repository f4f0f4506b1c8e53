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

    It 'runs every host in a network namespace of its own, apart from the caller''s and from each other''s' {
        # The judge is the kernel's own link, read inside each host; if the hosts shared the caller's
        # namespace, every other fleet test could pass while proving nothing about separate hosts.
        $own = (Get-Item "/proc/$PID/ns/net").LinkTarget
        $seen = @(Invoke-Command -HostName $hosts { [pscustomobject]@{ Net = "$(readlink /proc/self/ns/net)" } })
        $seen.Count | Should -Be 4
        $seen | ForEach-Object { $_.Net | Should -Match '^net:\[\d+\]$' }
        $seen.Net | Should -Not -Contain $own
        @($seen.Net | Sort-Object -Unique).Count | Should -Be 4
        # And each is the namespace `ip netns` made for that host.
        foreach ($s in $seen) { $s.Net | Should -Be "$(ip netns exec $s.PSComputerName readlink /proc/self/ns/net)" }
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
        $web01Port = New-HostTimeWait -HostName web01
        $before = @(Invoke-Command -HostName $hosts { Import-Module TcpClose; Get-TcpTimeWait })
        @($before | Where-Object PSComputerName -eq 'web02').Count | Should -BeGreaterThan 0
        $others = @($before | Where-Object PSComputerName -ne 'web02')
        $others.Count | Should -BeGreaterThan 0

        # The judge is ss inside each host, not the module's own reader.
        function Get-HostTimeWait([string] $HostName) {
            @(Invoke-Ss -N $HostName -Htan state time-wait | ForEach-Object { ($_ -split '\s+', 4)[2..3] -join ' ' } | Sort-Object)
        }
        $judgedBefore = @{}
        foreach ($h in $hosts) { $judgedBefore[$h] = Get-HostTimeWait $h }
        $judgedBefore['web02'].Count | Should -BeGreaterThan 0 -Because 'ss finds web02''s rows before'
        ($judgedBefore['web01'].Count + $judgedBefore['web03'].Count) | Should -BeGreaterThan 0

        $removed = @(Invoke-Command -HostName web02 { Import-Module TcpClose; Get-TcpTimeWait | Remove-TcpConnection -Confirm:$false })

        $removed.Count | Should -Be @($before | Where-Object PSComputerName -eq 'web02').Count
        $removed | ForEach-Object { $_.Outcome | Should -Be 'Removed' }
        Get-HostTimeWait web02 | Should -BeNullOrEmpty
        foreach ($h in 'web01', 'web03', 'web04') {
            # Rows can only have expired meanwhile (after 60 s), never been removed by web02's command.
            Get-HostTimeWait $h | ForEach-Object { $_ | Should -BeIn $judgedBefore[$h] }
        }
        @(Get-HostTimeWait web01 | Where-Object { $_ -match ":$web01Port\b" }).Count | Should -Be 1 -Because 'web01''s fresh row is untouched'
        @($judgedBefore['web01'] | Where-Object { $_ -match ":$web01Port\b" }).Count | Should -Be 1
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
        # web02 is near exhaustion: 100 ephemeral ports, 30 of them taken by a burst of TIME_WAIT
        # (tcp_tw_reuse 0: no row is recycled). web03 has more rows, on the default range.
        ip netns exec web02 sysctl -q -w net.ipv4.ip_local_port_range='40000 40099'
        ip netns exec web02 sysctl -q -w net.ipv4.tcp_tw_reuse=0
        $wide = New-HostTimeWait -HostName web03 -Count 40 -ClientFirst
        $port = New-HostTimeWait -HostName web02 -Count 30 -ClientFirst
        $out = @(& $example -HostName $hosts -ClearTimeWaitOn web02 -WarningVariable warned 3>$null)

        $survey = @($out | Where-Object { $_.pstypenames -contains 'Deserialized.TcpClose.PortUsageEntry' })
        $survey.Count | Should -BeGreaterThan 1
        $survey[0].PSComputerName | Should -Be 'web02'
        $survey[0].RemotePort | Should -Be $port
        $survey[0].EphemeralPorts | Should -Be 100
        $survey[0].ExhaustedIn | Should -Not -BeNullOrEmpty -Because 'a host near exhaustion has a forecast'
        $busier = @($survey | Where-Object { $_.PSComputerName -eq 'web03' -and $_.RemotePort -eq $wide })
        $busier.TimeWait | Should -Be 40 -Because 'web03 has more rows, yet comes after web02'
        # Sorted by the forecast first: the soonest exhaustion leads, those without one last.
        $keys = @($survey | ForEach-Object { if ($null -ne $_.ExhaustedIn) { ([TimeSpan]$_.ExhaustedIn).Ticks } else { [long]::MaxValue } })
        $keys | Should -Be @($keys | Sort-Object)
        @($out | Where-Object { $_.pstypenames -contains 'Deserialized.TcpClose.RemovalResult' }).Count | Should -Be 30
        "$warned" | Should -Match 'web04'
        @(Invoke-Command -HostName web02 { Import-Module TcpClose; Get-TcpTimeWait }).Count | Should -Be 0
    }
}
