BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # The ports the OS can pick, from Get-TcpSetting: the range less the reserved ports inside it.
    function Get-EphemeralPortCount {
        $range = @(Get-TcpSetting net.ipv4.ip_local_port_range).Value
        $reserved = @((Get-TcpSetting net.ipv4.ip_local_reserved_ports).Value)
        $inside = @{}
        foreach ($r in $reserved) {
            $from = [math]::Max($r.First, $range.First); $to = [math]::Min($r.Last, $range.Last)
            if ($from -le $to) { $from..$to | ForEach-Object { $inside[$_] = $true } }
        }
        $range.Count - $inside.Count
    }
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    # A network namespace of the test's own (a host with its own TCP table and settings) needs root and ip.
    $canNamespace = $onLinux -and "$(id -u)" -eq '0' -and [bool](Get-Command ip -ErrorAction SilentlyContinue)
}

Describe 'Get-TcpPortUsage' {
    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'counts the client ports left in TIME_WAIT by actively closed connections (Linux)' -Skip:(-not $onLinux) {
        # Our own listener's port is the destination, so the row is ours whatever else the table holds.
        $n = 6
        $listener = Start-TcpListener
        $port = $listener.LocalPort
        for ($i = 0; $i -lt $n; $i++) {
            $pair = New-TestPair $listener
            $null = $pair.Client | Close-TcpConnection -Confirm:$false     # the client closes first
            $null = Receive-TcpData -Connection $pair.Server -UntilClosed -Timeout 5
            $null = $pair.Server | Close-TcpConnection -Confirm:$false
        }
        (Wait-Until { (Get-TcpPortUsage -RemoteAddress 127.0.0.1 -RemotePort $port).TimeWait -eq $n }) | Should -BeTrue

        $rows = @(Get-TcpPortUsage -RemoteAddress 127.0.0.1 -RemotePort $port)
        $rows.Count | Should -Be 1
        $row = $rows[0]
        $row | Should -BeOfType 'TcpClose.PortUsageEntry'
        $row.LocalAddress | Should -Be '127.0.0.1'
        $row.TimeWait | Should -Be $n
        $row.Established | Should -Be 0
        $row.Total | Should -Be $n
        $size = Get-EphemeralPortCount
        $row.EphemeralPorts | Should -Be $size
        $row.PercentUsed | Should -Be ([math]::Round($n * 100.0 / $size, 3))
        # tcp_tw_reuse 2 (the default) and 1 let connect() reuse loopback TIME_WAIT ports.
        $row.TimeWaitReusable | Should -Be ((Get-TcpSetting net.ipv4.tcp_tw_reuse).Value -ne 0)
        # The same TIME_WAIT rows Get-TcpTimeWait lists for this destination.
        @(Get-TcpTimeWait -RemoteAddress 127.0.0.1 -RemotePort $port).Count | Should -Be $n
    }

    It 'counts open connections as Established, each local address on its own row' -Skip:(-not $onLinux) {
        $listener = Start-TcpListener -Address 0.0.0.0
        $port = $listener.LocalPort
        $conns = @()
        try {
            foreach ($from in '127.0.0.1', '127.0.0.1', '127.0.0.2') {
                $conns += New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $port -LocalAddress $from
                $conns += Wait-TcpConnection -Listener $listener -Timeout 5
            }
            $rows = @(Get-TcpPortUsage -RemoteAddress 127.0.0.1 -RemotePort $port)
            $rows.LocalAddress | Should -Be @('127.0.0.1', '127.0.0.2')   # highest PercentUsed first
            $rows.Established | Should -Be @(2, 1)
            # The accepted side (local port = the listener's) is not an outgoing connection.
            foreach ($c in $conns | Where-Object Role -eq 'Client') {
                Get-TcpPortUsage -RemotePort $c.LocalPort | Where-Object RemoteAddress -eq $c.LocalAddress | Should -BeNullOrEmpty
            }
        }
        finally {
            Close-TestConnection $conns
        }
    }

    It 'sorts by PercentUsed, highest first: a destination with 3 connections before one with 1' {
        # Two destinations of our own (two listeners), so there is an order to check whatever else
        # the table holds; the client ports come from the OS (counted where they are in its range).
        $busy = Start-TcpListener
        $quiet = Start-TcpListener
        $conns = @()
        try {
            foreach ($target in $busy, $busy, $busy, $quiet) {
                $conns += New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $target.LocalPort
                $conns += Wait-TcpConnection -Listener $target -Timeout 5
            }
            $ours = @(Get-TcpPortUsage -RemoteAddress 127.0.0.1 | Where-Object RemotePort -in $busy.LocalPort, $quiet.LocalPort)
            if ($TcpTestUnderWine) {
                # Linux picks the client ports; the Windows range counts only those inside it.
                Set-TcpWineSkip 'the client ports are Linux''s picks, which the Windows dynamic range may not count'
                return
            }
            $ours.RemotePort | Should -Be @($busy.LocalPort, $quiet.LocalPort)
            $ours.Established | Should -Be @(3, 1)
            $all = @(Get-TcpPortUsage)
            $all.Count | Should -BeGreaterOrEqual 2
            for ($i = 1; $i -lt $all.Count; $i++) {
                $all[$i].PercentUsed | Should -BeLessOrEqual $all[$i - 1].PercentUsed
            }
        }
        finally {
            Close-TestConnection $conns
        }
    }

    It 'counts an outgoing connection from a port of the dynamic range, on every OS (Wine too)' {
        # 49152-60999 is in both Linux's default range (32768-60999) and Windows' (49152-65535).
        $listener = Start-TcpListener
        $client = $null
        foreach ($candidate in (Get-Random -Minimum 49152 -Maximum 60999 -Count 20)) {
            try {
                $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -LocalAddress 127.0.0.1 -LocalPort $candidate -ErrorAction Stop
                break
            }
            catch {
                $_.FullyQualifiedErrorId | Should -BeLike 'AddressInUse,*'   # that port was taken: try the next
            }
        }
        $client | Should -Not -BeNullOrEmpty
        $server = Wait-TcpConnection -Listener $listener -Timeout 5
        try {
            $row = @(Get-TcpPortUsage -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort)
            $row.Count | Should -Be 1
            $row[0].LocalAddress | Should -Be '127.0.0.1'
            $row[0].Established | Should -Be 1
            $row[0].Total | Should -Be 1
            $row[0].EphemeralPorts | Should -BeGreaterThan 0
            $row[0].PercentUsed | Should -Be ([math]::Round(100.0 / $row[0].EphemeralPorts, 3))
        }
        finally {
            Close-TestConnection $client $server
        }
    }

    It 'measures the rate TIME_WAIT rows are made at, and when the range runs out at it, in a namespace of its own (Linux, root)' -Skip:(-not $canNamespace) {
        # A host of the test's own: loopback up, tcp_tw_reuse 0 (connect() may not take over TIME_WAIT
        # ports, as toward a remote destination, so every row stays) and 1,000 ephemeral ports. A
        # load there makes about 40 connections a second for 6 s, each closed first by the client.
        $ns = 'tcpclose-rate-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        ip netns add $ns
        try {
            ip netns exec $ns ip link set lo up
            ip netns exec $ns sysctl -q -w net.ipv4.tcp_tw_reuse=0
            ip netns exec $ns sysctl -q -w net.ipv4.ip_local_port_range='40000 40999'
            $load = {
                param($ModulePath)
                Import-Module $ModulePath
                $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
                $listener.Start()
                $port = $listener.LocalEndpoint.Port
                $clock = [System.Diagnostics.Stopwatch]::StartNew()
                $made = 0
                $first = $null
                while ($clock.Elapsed.TotalSeconds -lt 6) {
                    while ($made -lt [int](40 * $clock.Elapsed.TotalSeconds)) {
                        $client = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port)
                        $server = $listener.AcceptTcpClient()
                        $client.Close()                                   # the client closes first
                        $null = $server.GetStream().Read([byte[]]::new(1), 0, 1)   # its FIN
                        $server.Close()
                        if ($null -eq $first) { $first = $clock.Elapsed.TotalSeconds }
                        $made++
                    }
                    Start-Sleep -Milliseconds 20
                }
                $usage = @(Get-TcpPortUsage -RemoteAddress 127.0.0.1 -RemotePort $port)
                $actual = $made / ($clock.Elapsed.TotalSeconds - $first)
                $listener.Stop()
                [pscustomobject]@{ Made = $made; Actual = $actual; Usage = $usage } | ConvertTo-Json -Depth 3 -Compress
            }
            $out = ip netns exec $ns (Get-TcpTestPowerShell) -NoProfile -NonInteractive -Command "& { $load } '$(Join-Path (Get-Module TcpClose).ModuleBase 'TcpClose.psd1')'"
            $r = ($out | Select-Object -Last 1) | ConvertFrom-Json
        }
        finally {
            ip netns delete $ns
        }
        $r.Usage.Count | Should -Be 1
        $u = $r.Usage[0]
        $u.EphemeralPorts | Should -Be 1000
        $u.TimeWait | Should -Be $r.Made -Because 'tcp_tw_reuse is 0 here: every row stays'
        $u.TimeWaitReusable | Should -BeFalse
        # The rate within 15% of the load's.
        $u.TimeWaitPerSecond | Should -BeGreaterThan ($r.Actual * 0.85)
        $u.TimeWaitPerSecond | Should -BeLessThan ($r.Actual * 1.15)
        # 40/s x 60 s is more than 1,000 ports: the range runs out, in (free ports / rate) seconds.
        $expected = [math]::Ceiling(($u.EphemeralPorts - $u.Total) / $u.TimeWaitPerSecond)
        $u.ExhaustedIn.TotalSeconds | Should -BeIn @(($expected - 1)..($expected + 1))
    }

    It 'refuses a bad <Name> with <Id>' -TestCases @(
        @{ Name = 'address'; Id = 'InvalidAddress'; Call = { Get-TcpPortUsage -RemoteAddress 'not-an-address' } }
        @{ Name = 'port'; Id = 'InvalidPort'; Call = { Get-TcpPortUsage -RemotePort 70000 } }
    ) {
        $Call | Should -Throw -ErrorId "$Id,TcpClose.Commands.GetTcpPortUsageCommand"
        try { & $Call } catch { $_.CategoryInfo.Category | Should -Be 'InvalidArgument' }
    }

    It 'has a table view of one line per destination within 80 columns' {
        # Built, not read: whether a loopback client port counts depends on the OS's range (under
        # Wine, Linux picks the port and the Windows default range judges it).
        $minute = [TimeSpan]::FromSeconds(60)
        $rows = [TcpClose.PortUsageEntry]::new('192.168.100.200', '192.168.100.201', 65535, 28000, 232, 0, 28232, $true, 500.0, $minute),
                [TcpClose.PortUsageEntry]::new('10.0.0.1', '10.0.0.2', 443, 10, 1000, 0, 28232, $false, 100.0, $minute),
                [TcpClose.PortUsageEntry]::new('10.0.0.1', '10.0.0.3', 443, 10, 20000, 0, 28232, $false, 500.0, $minute),
                [TcpClose.PortUsageEntry]::new('::1', '::1', 443, 1, 0, 2, 28232, $null)
        $lines = @(($rows | Out-String -Width 300) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines.Count | Should -Be 6
        $lines[0] | Should -Match '^LocalAddress\s+RemoteAddress\s+RPort\s+Estab\s+TimeWait\s+Used%\s+TW/s\s+ExhaustIn$'
        $lines[2] | Should -Match '^192\.168\.100\.200 192\.168\.100\.201\s+65535\s+28000\s+232\s+100\.00\s+500\s+0s$'
        $lines[3] | Should -Match '^10\.0\.0\.1\s+10\.0\.0\.2\s+443\s+10\s+1000\s+3\.58\s+100\s+never$'
        $lines[4] | Should -Match '^10\.0\.0\.1\s+10\.0\.0\.3\s+443\s+10\s+20000\s+70\.88\s+500\s+17s$'
        $lines[5] | Should -Match '^::1\s+::1\s+443\s+1\s+0\s+0\.01\s*$'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
    }

    It 'has full help with runnable examples' {
        $help = Get-Help Get-TcpPortUsage -Full
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        $help.Parameters.Parameter.Name | Should -Be @('RemoteAddress', 'RemotePort', 'NetworkNamespace')
    }
}
