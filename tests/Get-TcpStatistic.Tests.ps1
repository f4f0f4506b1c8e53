BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $isRoot = $onLinux -and "$(& id -u)" -eq '0'
    $hasTools = $onLinux -and (Get-Command ip, ss, nstat -ErrorAction SilentlyContinue).Count -eq 3
    # Exact deltas need a namespace nothing else uses: the host's counters move with every test.
    $script:NoNamespace = if (-not $onLinux) { 'network namespaces and their counters are Linux''s' }
        elseif (-not $isRoot) { 'a namespace of the test''s own needs root' }
        elseif (-not $hasTools) { 'needs ip and ss (iproute2) and nstat' }
    $script:UnderWine = & (Join-Path $PSScriptRoot 'UnderWine.ps1')
}

BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

Describe 'Get-TcpStatistic in a network namespace of the test''s own: each close style moves exactly its counters' -Skip:([bool]$NoNamespace) {
    BeforeAll {
        $script:ns = 'tcp-stat-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        ip netns add $ns
        ip netns exec $ns ip link set lo up
        # The judge: nstat in the namespace, absolute values (-a), no history written (-s).
        function Get-Nstat {
            $out = @(ip netns exec $ns env NSTAT_HISTORY=/nonexistent/nstat nstat -asz)
            if ($LASTEXITCODE) { throw "nstat in $ns exited $LASTEXITCODE" }
            $values = @{}
            foreach ($line in $out) {
                if ($line -match '^(\w+)\s+(-?\d+)') { $values[$Matches[1]] = [long]$Matches[2] }
            }
            $values
        }
        # N connected pairs made inside the namespace.
        function New-Pairs([int] $Count) {
            $listener = Start-TcpListener -NetworkNamespace $ns
            @(for ($i = 0; $i -lt $Count; $i++) {
                $client = New-TcpConnection -NetworkNamespace $ns -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 5
                [pscustomobject]@{ Client = $client; Server = (Wait-TcpConnection -Listener $listener -Timeout 5); Listener = $listener }
            })
        }
        function Get-Delta([object[]] $Before, [string] $Name) {
            (Get-TcpStatistic -NetworkNamespace $ns -Name $Name -Since $Before).Delta
        }
    }
    AfterAll {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
        ip netns delete $ns
    }

    It 'N closes with unread data send N resets and count N TCPAbortOnClose' {
        $pairs = New-Pairs 3
        foreach ($p in $pairs) { $null = $p.Client | Send-TcpData -Text 'unread' }
        # The data is in each server's receive queue before the close (ss there is the judge).
        (Wait-Until { @(Invoke-Ss -N $ns -Htn state established "( sport = :$($pairs[0].Listener.LocalPort) )" | Where-Object { ($_ -split '\s+')[0] -gt 0 }).Count -eq 3 }) | Should -BeTrue
        $before = Get-TcpStatistic -NetworkNamespace $ns -All
        foreach ($p in $pairs) { $null = $p.Server | Close-TcpConnection }
        Get-Delta $before TCPAbortOnClose | Should -Be 3
        Get-Delta $before OutRsts | Should -Be 3
        Get-Delta $before TCPAbortOnData | Should -Be 0
        foreach ($p in $pairs) { $null = $p.Client | Close-TcpConnection -ErrorAction SilentlyContinue }
        $pairs[0].Listener | Stop-TcpListener
    }

    It 'N Close-TcpConnection -Abort send N resets and count N TCPAbortOnData' {
        $pairs = New-Pairs 4
        $before = Get-TcpStatistic -NetworkNamespace $ns -All
        foreach ($p in $pairs) { $null = $p.Client | Close-TcpConnection -Abort }
        Get-Delta $before TCPAbortOnData | Should -Be 4
        Get-Delta $before OutRsts | Should -Be 4
        Get-Delta $before TCPAbortOnClose | Should -Be 0
        foreach ($p in $pairs) { $null = $p.Server | Close-TcpConnection -ErrorAction SilentlyContinue }
        $pairs[0].Listener | Stop-TcpListener
    }

    It 'a graceful close sends no reset and makes its TIME_WAIT row: N rows are N TW' {
        $pairs = New-Pairs 5
        $before = Get-TcpStatistic -NetworkNamespace $ns -All
        foreach ($p in $pairs) { $null = $p.Client | Close-TcpConnection; $null = $p.Server | Close-TcpConnection }
        (Wait-Until { @(Invoke-Ss -N $ns -Htan state time-wait "( dport = :$($pairs[0].Listener.LocalPort) )").Count -eq 5 }) | Should -BeTrue
        Get-Delta $before TW | Should -Be 5
        Get-Delta $before OutRsts | Should -Be 0
        (Get-TcpStatistic -NetworkNamespace $ns -Since $before | Where-Object Name -like 'TCPAbortOn*').Delta | Should -Be @(0, 0, 0, 0, 0)
        $pairs[0].Listener | Stop-TcpListener
    }

    It 'a listener with backlog 1 flooded with connects counts ListenOverflows' {
        $listener = Start-TcpListener -NetworkNamespace $ns -Backlog 1
        $before = Get-TcpStatistic -NetworkNamespace $ns -All
        # The accept queue holds backlog + 1; later SYNs are dropped and these connects time out.
        $made = @(1..5 | ForEach-Object {
                try { New-TcpConnection -NetworkNamespace $ns -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 0.3 }
                catch { $_.FullyQualifiedErrorId | Should -Be 'ConnectTimeout,TcpClose.Commands.NewTcpConnectionCommand' }
            })
        $made.Count | Should -BeLessThan 5 -Because 'some connects must have found the queue full'
        Get-Delta $before ListenOverflows | Should -BeGreaterThan 0
        $made | ForEach-Object { $null = $_ | Close-TcpConnection -Abort }
        $listener | Stop-TcpListener
    }

    It 'gives every counter the value nstat gives, read right after in the same namespace' {
        $mine = @(Get-TcpStatistic -NetworkNamespace $ns -All)
        $judge = Get-Nstat
        $judge['TcpExtTW'] | Should -BeGreaterThan 0 -Because 'the judge saw this test''s rows'
        $compared = 0
        foreach ($s in $mine) {
            if ($judge.ContainsKey($s.KernelName)) {
                $s.Value | Should -Be $judge[$s.KernelName] -Because $s.KernelName
                $compared++
            }
        }
        # nstat leaves out the Tcp values that are not counts (the constants and CurrEstab): the
        # module's gauges, exactly.
        @($mine | Where-Object { -not $judge.ContainsKey($_.KernelName) } | ForEach-Object Name) |
            Should -Be @($mine | Where-Object IsGauge | ForEach-Object Name)
        $compared | Should -BeGreaterThan 100
        $mine | ForEach-Object { $_.NetworkNamespace | Should -Be $ns }
    }

    It 'reads the namespace''s counters, not the host''s' {
        $inside = (Get-TcpStatistic -NetworkNamespace $ns TW).Value
        $hostTw = [long]((Get-Content /proc/net/netstat | Where-Object { $_ -like 'TcpExt:*' })[1] -split '\s+')[((Get-Content /proc/net/netstat | Where-Object { $_ -like 'TcpExt:*' })[0] -split '\s+').IndexOf('TW')]
        $inside | Should -Be (Get-Nstat)['TcpExtTW']
        (Get-TcpStatistic TW).Value | Should -BeGreaterOrEqual $hostTw
        (Get-TcpStatistic TW).NetworkNamespace | Should -BeNullOrEmpty
    }

    It 'refuses a -Since from another namespace or another computer with InvalidSince, and never shows a negative delta' {
        $hostReading = Get-TcpStatistic
        { Get-TcpStatistic -NetworkNamespace $ns -Since $hostReading -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSince,TcpClose.Commands.GetTcpStatisticCommand'
        $elsewhere = $hostReading | Select-Object KernelName, Value, ObservedAt, NetworkNamespaceId, @{ n = 'ComputerName'; e = { 'web99' } }
        $err = { Get-TcpStatistic -Since $elsewhere -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'InvalidSince,TcpClose.Commands.GetTcpStatisticCommand'
        $err.Exception.Message | Should -BeLike '*web99*'
        $later = Get-TcpStatistic -NetworkNamespace $ns TW | Select-Object KernelName, ObservedAt, ComputerName, NetworkNamespaceId, @{ n = 'Value'; e = { $_.Value + 1000 } }
        $back = Get-TcpStatistic -NetworkNamespace $ns TW -Since $later
        $back.Delta | Should -BeNullOrEmpty
        $back.Note | Should -BeLike '*backwards*'
        # Readings of several namespaces in one -Since: each namespace takes its own.
        $both = @(Get-TcpStatistic TW) + @(Get-TcpStatistic -NetworkNamespace $ns TW)
        (Get-TcpStatistic -NetworkNamespace $ns TW -Since $both).Delta | Should -Be 0
        { Get-TcpStatistic -Since 'not a reading' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSince,TcpClose.Commands.GetTcpStatisticCommand'
    }

    It 'takes namespaces from the pipeline, and its rows group under them within 80 columns' {
        $rows = @(Get-TcpNetworkNamespace -Name $ns | Get-TcpStatistic TW, OutRsts)
        $rows.Name | Should -Be @('OutRsts', 'TW')
        $text = $rows | Out-String -Width 300
        $text | Should -Match "NetworkNamespace: $ns"
        ($text -split '\r?\n' | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 80
    }
}

Describe 'Get-TcpStatistic' {
    It 'lists the counters of how connections start and end by default, each with a description, -All more' {
        $default = @(Get-TcpStatistic)
        $default.Count | Should -BeGreaterThan 5
        $default | ForEach-Object { $_.Description | Should -Not -BeNullOrEmpty; $_.KernelName | Should -Not -BeNullOrEmpty }
        'ActiveOpens', 'PassiveOpens', 'AttemptFails', 'EstabResets', 'OutRsts', 'RetransSegs' | ForEach-Object { $_ | Should -BeIn $default.Name }
        @(Get-TcpStatistic -All).Count | Should -BeGreaterThan $default.Count
    }

    It 'matches Name and KernelName with wildcards, and a plain unknown name is StatisticNotFound' {
        $name = @(Get-TcpStatistic)[0].KernelName
        (Get-TcpStatistic $name).KernelName | Should -Be $name
        @(Get-TcpStatistic '*Opens').Name | Should -Contain 'ActiveOpens'
        $null = Get-TcpStatistic NoSuchCounter -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'StatisticNotFound,TcpClose.Commands.GetTcpStatisticCommand'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e[0].TargetObject | Should -Be 'NoSuchCounter'
    }

    It 'gives a delta for a connection made in between, judged by the OS''s own counter' {
        $before = Get-TcpStatistic ActiveOpens
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        Close-TestConnection $pair.Client $pair.Server
        $listener | Stop-TcpListener
        $after = Get-TcpStatistic ActiveOpens -Since $before
        $after.Delta | Should -BeGreaterOrEqual 1
        $after.Delta | Should -Be ($after.Value - $before.Value)
        $after.PerSecond | Should -BeGreaterThan 0
    }

    It 'under Wine, equals the Linux counters Wine answers from, for IPv4 and IPv6 alike' -Skip:(-not $UnderWine) {
        # Wine answers GetTcpStatisticsEx for both families from Linux's one Tcp MIB
        # (/proc/net/snmp); TcpClose sums the families, as a real Windows keeps them apart, so each
        # counter here is twice the Linux value. Wine has no GetTcpStatisticsEx2 and reports
        # NumConns as 0: those are not compared.
        function Read-Snmp {
            $lines = @(Get-Content -LiteralPath 'Z:\proc\net\snmp' | Where-Object { $_ -like 'Tcp:*' })
            $names = $lines[0] -split '\s+'; $values = $lines[1] -split '\s+'
            $h = @{}; for ($i = 1; $i -lt $names.Count; $i++) { $h[$names[$i]] = [long]$values[$i] }
            $h
        }
        $low = Read-Snmp
        $mine = @(Get-TcpStatistic -All)
        $high = Read-Snmp
        $mine[0].Source | Should -Be 'GetTcpStatisticsEx'
        foreach ($s in $mine | Where-Object Name -in 'ActiveOpens', 'PassiveOpens', 'AttemptFails', 'EstabResets', 'OutRsts', 'RetransSegs', 'InSegs', 'OutSegs', 'InErrs') {
            $s.Value | Should -BeGreaterOrEqual (2 * $low[$s.Name]) -Because $s.Name
            $s.Value | Should -BeLessOrEqual (2 * $high[$s.Name]) -Because $s.Name
        }
        $low['ActiveOpens'] | Should -BeGreaterThan 0 -Because 'the judge read real counters'
    }

    It 'refuses -NetworkNamespace off Linux with PlatformNotSupported' -Skip:([bool]$IsLinux) {
        { Get-TcpStatistic -NetworkNamespace web -ErrorAction Stop } | Should -Throw -ErrorId 'PlatformNotSupported,TcpClose.Commands.GetTcpStatisticCommand'
    }
}
