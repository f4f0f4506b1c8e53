BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $isRoot = $onLinux -and "$(& id -u)" -eq '0'
    $hasTools = $onLinux -and (Get-Command ip, ss, lsns, unshare, nsenter -ErrorAction SilentlyContinue).Count -eq 5
    # Why the namespace tests skip, where they do: the only reasons are no root and no tools.
    $script:NoNamespaces = if (-not $onLinux) { 'network namespaces exist only on Linux' }
        elseif (-not $isRoot) { 'making and entering network namespaces needs root' }
        elseif (-not $hasTools) { 'needs ip, ss (iproute2), lsns, unshare and nsenter (util-linux)' }
}

BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # ss in a namespace: fails the test when ss fails, so a broken judge never reads as "no rows".
    # Every thread of this PowerShell process is in the process's own network namespace.
    function Get-ThreadsElsewhere {
        $own = (Get-Item "/proc/$PID/ns/net").LinkTarget
        @(Get-ChildItem "/proc/$PID/task" | ForEach-Object { (Get-Item "/proc/$PID/task/$($_.Name)/ns/net" -ErrorAction Ignore).LinkTarget } |
            Where-Object { $_ -and $_ -ne $own })
    }
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

Describe 'Get-TcpNetworkNamespace and -NetworkNamespace over namespaces the test makes' -Skip:([bool]$NoNamespaces) {
    BeforeAll {
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $script:small = "tcp-small-$suffix"
        $script:plain = "tcp-plain-$suffix"
        foreach ($ns in $small, $plain) {
            ip netns add $ns
            ip netns exec $ns ip link set lo up
            ip netns exec $ns sysctl -q -w net.ipv4.tcp_tw_reuse=0
        }
        # A container running out of ports: 20 ephemeral ports, 12 of them in TIME_WAIT.
        ip netns exec $small sysctl -q -w net.ipv4.ip_local_port_range='40000 40019'
        $script:burst = Start-TcpListener -NetworkNamespace $small
        for ($i = 0; $i -lt 12; $i++) {
            $client = New-TcpConnection -NetworkNamespace $small -RemoteAddress 127.0.0.1 -RemotePort $burst.LocalPort -Timeout 5
            $server = Wait-TcpConnection -Listener $burst -Timeout 5
            $null = $client | Close-TcpConnection -Confirm:$false          # the client closes first
            $null = $server | Close-TcpConnection -Confirm:$false
        }
        # The host's and the other namespace's rows, to show they are left alone.
        $script:hostListener = Start-TcpListener
        $script:plainListener = Start-TcpListener -NetworkNamespace $plain
        # An unnamed namespace held only by a process.
        $script:holder = Start-Process -FilePath unshare -ArgumentList '-n', 'sleep', '600' -PassThru
        (Wait-Until { (Get-Item "/proc/$($holder.Id)/ns/net" -ErrorAction Ignore).LinkTarget -ne (Get-Item "/proc/$PID/ns/net").LinkTarget -and
            (Get-Content "/proc/$($holder.Id)/comm" -ErrorAction Ignore) -eq 'sleep' } -TimeoutSeconds 10) | Should -BeTrue -Because 'unshare -n sleep starts'
        $script:holderNs = (Get-Item "/proc/$($holder.Id)/ns/net").LinkTarget
        nsenter -t $holder.Id -n ip link set lo up
    }
    AfterAll {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
        if ($holder) { Stop-Process -Id $holder.Id -Force -ErrorAction Ignore; $holder.WaitForExit(10000) | Out-Null }
        foreach ($ns in $small, $plain) { ip netns delete $ns 2>$null }
    }

    It 'lists exactly what lsns -t net lists plus the unused named ones, the session''s own first and marked' {
        $expected = @(lsns -t net -n -o NS | ForEach-Object { [long]$_.Trim() })
        $LASTEXITCODE | Should -Be 0
        $expected += @(Get-ChildItem /run/netns | ForEach-Object { [long](stat -L -c %i $_.FullName) })
        $listed = @(Get-TcpNetworkNamespace)
        [long]($holderNs -replace '\D') | Should -BeIn $expected -Because 'lsns (the judge) sees the unnamed namespace'
        @($listed.Id | Sort-Object -Unique) | Should -Be @($expected | Sort-Object -Unique)
        $listed[0].IsCurrent | Should -BeTrue
        $listed[0].NetworkNamespace | Should -Be (Get-Item "/proc/$PID/ns/net").LinkTarget
        @($listed | Where-Object IsCurrent).Count | Should -Be 1
        ($listed | Where-Object NetworkNamespace -eq $holderNs).ProcessId | Should -Be $holder.Id
        ($listed | Where-Object Name -eq $small).Path | Should -Be "/run/netns/$small"
    }

    It 'counts each table as ss there does' {
        $n = Get-TcpNetworkNamespace -Name $small
        $n.TimeWait | Should -Be (Invoke-Ss -N $small -Htan state time-wait).Count
        $n.TimeWait | Should -Be 12
        $n.Listen | Should -Be (Invoke-Ss -N $small -Htan state listening).Count
        $n.Listen | Should -Be 1
    }

    It 'filters by name with wildcards and by id, and a plain name or id that matches nothing is NetworkNamespaceNotFound' {
        @(Get-TcpNetworkNamespace -Name "tcp-*-$suffix").Name | Sort-Object | Should -Be @($plain, $small | Sort-Object)
        $id = (Get-TcpNetworkNamespace -Name $plain).Id
        (Get-TcpNetworkNamespace -Id $id).Name | Should -Be $plain
        $null = Get-TcpNetworkNamespace -Name 'tcp-none-here' -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be 'NetworkNamespaceNotFound,TcpClose.Commands.GetTcpNetworkNamespaceCommand'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $null = Get-TcpNetworkNamespace -Id 1 -ErrorVariable e2 -ErrorAction SilentlyContinue
        $e2[0].FullyQualifiedErrorId | Should -Be 'NetworkNamespaceNotFound,TcpClose.Commands.GetTcpNetworkNamespaceCommand'
    }

    It 'tells which namespace runs out of ports when piped into Get-TcpPortUsage, against that namespace''s range' {
        $range = (ip netns exec $small sysctl -n net.ipv4.ip_local_port_range) -split '\s+'
        $range | Should -Be @('40000', '40019') -Because 'the judge (sysctl there) sees the small range'
        $hot = @(Get-TcpNetworkNamespace | Get-TcpPortUsage | Where-Object PercentUsed -gt 50)
        $hot.Count | Should -Be 1
        $hot[0].NetworkNamespace | Should -Be $small
        $hot[0].EphemeralPorts | Should -Be 20
        $hot[0].TimeWait | Should -Be 12
        $hot[0].PercentUsed | Should -Be 60
        (Get-TcpSetting net.ipv4.ip_local_port_range -NetworkNamespace $small).Value.Count | Should -Be 20
        (Get-TcpSetting net.ipv4.ip_local_port_range).Value.Count | Should -Not -Be 20
    }

    It 'runs the containers example: the namespace running out of ports, and what holds a port inside another' {
        $example = Join-Path (Split-Path -Parent $PSScriptRoot) 'docs/examples/Containers.ps1'
        $out = @(& $example -Port $plainListener.LocalPort)
        $pressure = @($out | Where-Object { $_.pstypenames -contains 'TcpClose.Example.PortPressure' })
        $pressure.Count | Should -Be 1
        $pressure[0].NetworkNamespace | Should -Be $small
        $pressure[0].Used | Should -Be 12
        $pressure[0].Of | Should -Be 20
        $holders = @($out | Where-Object { $_.pstypenames -contains 'TcpClose.Example.PortHolder' })
        $holders.NetworkNamespace | Should -Be $plain -Because 'only the namespace where the port is held is written'
        $holders[0].Holders | Should -Be "Listen 127.0.0.1 by $((Get-Process -Id $PID).ProcessName) ($PID)"
        $holders[0].CanBind | Should -BeFalse
        (Invoke-Ss -N $plain -Htlnp "sport = :$($plainListener.LocalPort)") -join "`n" | Should -BeLike "*pid=$PID,*"
    }

    It 'binds -NetworkNamespace by property name: a namespace object into Get-TcpSetting reads that namespace''s settings' {
        $s = @(Get-TcpNetworkNamespace -Name $small | Get-TcpSetting)
        $s.Count | Should -BeGreaterThan 3 -Because 'the namespace''s Name is not taken as a setting name'
        ($s | Where-Object Name -eq 'net.ipv4.ip_local_port_range').Value.ToString() | Should -Be '40000-40019'
        $s.NetworkNamespace | Sort-Object -Unique | Should -Be $small
    }

    It 'binds -NetworkNamespace from the module''s own rows: a listener''s row into Test-TcpBind tests there' {
        $row = Get-TcpConnection -NetworkNamespace $plain -State Listen -LocalPort $plainListener.LocalPort
        $row.NetworkNamespace | Should -Be $plain
        $result = $row | Test-TcpBind
        $result.NetworkNamespace | Should -Be $plain
        $result.CanBind | Should -BeFalse
        $result.BlockedBy[0].OwningProcess | Should -Be $PID
        (Invoke-Ss -N $plain -Htlnp "sport = :$($plainListener.LocalPort)") -join "`n" | Should -BeLike "*pid=$PID,*"
        # The listener object itself binds too (NetworkNamespace and LocalPort).
        ($plainListener | Test-TcpBind).CanBind | Should -BeFalse
    }

    It 'removes piped rows where they were read, leaving the host''s and the other namespaces'' rows' {
        $hostPair = New-TestPair $hostListener
        $plainClient = New-TcpConnection -NetworkNamespace $plain -RemoteAddress 127.0.0.1 -RemotePort $plainListener.LocalPort -Timeout 5
        $plainServer = Wait-TcpConnection -Listener $plainListener -Timeout 5
        try {
            $before = (Invoke-Ss -N $small -Htan state time-wait).Count
            $before | Should -Be 12 -Because 'the judge sees the rows before'
            @(Invoke-Ss -Htan state established "( sport = :$($hostListener.LocalPort) )").Count | Should -Be 1
            (Invoke-Ss -N $plain -Htan state established "( sport = :$($plainListener.LocalPort) )").Count | Should -Be 1
            $removed = @(Get-TcpNetworkNamespace -Name $small | Get-TcpTimeWait | Remove-TcpConnection -Confirm:$false)
            $removed.Count | Should -Be 12
            $removed | ForEach-Object { $_.Removed | Should -BeTrue; $_.NetworkNamespace | Should -Be $small }
            (Invoke-Ss -N $small -Htan state time-wait).Count | Should -Be 0
            @(Invoke-Ss -Htan state established "( sport = :$($hostListener.LocalPort) )").Count | Should -Be 1
            (Invoke-Ss -N $plain -Htan state established "( sport = :$($plainListener.LocalPort) )").Count | Should -Be 1
        }
        finally {
            Close-TestConnection $hostPair.Client $hostPair.Server
            Close-TestConnection $plainClient $plainServer
        }
    }

    It 'makes a listener and a connection inside a namespace that only that namespace''s ss shows' {
        $l = Start-TcpListener -NetworkNamespace $holder.Id
        try {
            $l.NetworkNamespace | Should -Be $holderNs
            $c = New-TcpConnection -NetworkNamespace $holderNs -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
            $s = Wait-TcpConnection -Listener $l -Timeout 5
            $inside = @(nsenter -t $holder.Id -n ss -Htan state established "( sport = :$($l.LocalPort) )")
            $LASTEXITCODE | Should -Be 0
            $inside.Count | Should -Be 1
            @(Invoke-Ss -Htan state all "( sport = :$($l.LocalPort) )").Count | Should -Be 0
            (Test-TcpPort -NetworkNamespace "/proc/$($holder.Id)/ns/net" -RemotePort $l.LocalPort).Result | Should -Be 'Connected'
            (Test-TcpPort -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 2).Result | Should -Not -Be 'Connected'
            Close-TestConnection $c $s
        }
        finally {
            $l | Stop-TcpListener
        }
        Get-ThreadsElsewhere | Should -BeNullOrEmpty
    }

    It 'waits on TIME_WAIT inside a namespace' {
        $l = Start-TcpListener -NetworkNamespace $plain
        $c = New-TcpConnection -NetworkNamespace $plain -RemoteAddress 127.0.0.1 -RemotePort $l.LocalPort -Timeout 5
        $s = Wait-TcpConnection -Listener $l -Timeout 5
        $null = $c | Close-TcpConnection
        $null = $s | Close-TcpConnection
        $l | Stop-TcpListener
        (Invoke-Ss -N $plain -Htan state time-wait "( dport = :$($l.LocalPort) )").Count | Should -Be 1
        $left = @(Get-TcpTimeWait -NetworkNamespace $plain -RemotePort $l.LocalPort | Wait-TcpTimeWait -Timeout 0.5 -ErrorVariable e -ErrorAction SilentlyContinue)
        $left.Count | Should -Be 1
        $left[0].NetworkNamespace | Should -Be $plain
        $e[0].FullyQualifiedErrorId | Should -Be 'TimeWaitRemains,TcpClose.Commands.WaitTcpTimeWaitCommand'
    }

    It 'groups rows of several namespaces under a header each, within 80 columns, and leaves the own rows'' view as it was' {
        $text = Get-TcpNetworkNamespace -Name $small, $plain | Get-TcpConnection -State Listen | Out-String -Width 300
        $lines = $text -split '\r?\n'
        @($lines | Where-Object { $_ -match '^\s*NetworkNamespace: (\S+)' } | ForEach-Object { $_.Trim() } | Sort-Object) |
            Should -Be @("NetworkNamespace: $plain", "NetworkNamespace: $small" | Sort-Object) -Because 'one header per namespace'
        ($lines | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 80
        $own = Get-TcpConnection -State Listen -LocalPort $hostListener.LocalPort | Out-String -Width 300
        $own | Should -Not -Match 'NetworkNamespace'
        (Get-TcpConnection -State Listen -LocalPort $hostListener.LocalPort).PSObject.TypeNames[0] | Should -Be 'TcpClose.TcpTableEntry'
        ((Get-TcpNetworkNamespace | Out-String -Width 300) -split '\r?\n' | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 80
        (Get-TcpNetworkNamespace | Out-String -Width 300) | Should -Match "(?m)^$([regex]::Escape((Get-Item "/proc/$PID/ns/net").LinkTarget)) \*"
    }

    It 'completes namespace names and ids with Tab' {
        $found = @((TabExpansion2 -inputScript "Get-TcpConnection -NetworkNamespace tcp-small-$suffix" -cursorColumn ("Get-TcpConnection -NetworkNamespace tcp-small-$suffix").Length).CompletionMatches)
        $found.CompletionText | Should -Be $small
        $line = 'Get-TcpTimeWait -NetworkNamespace ''net:['
        $ids = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText)
        "'$holderNs'" | Should -BeIn $ids
    }

    It 'refuses bad values with their ids before anything is read, -WhatIf included, and leaves no thread elsewhere' {
        { Remove-TcpConnection -State TimeWait -NetworkNamespace 'net:abc' -WhatIf -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidNetworkNamespace,TcpClose.Commands.RemoveTcpConnectionCommand'
        { Get-TcpConnection -NetworkNamespace '/proc/self/ns/mnt' -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetworkNamespaceNotFound,TcpClose.Commands.GetTcpConnectionCommand'
        { Start-TcpListener -NetworkNamespace 'tcp-none-here' -ErrorAction Stop } |
            Should -Throw -ErrorId 'NetworkNamespaceNotFound,TcpClose.Commands.StartTcpListenerCommand'
        Get-TcpListener | Where-Object NetworkNamespace -eq 'tcp-none-here' | Should -BeNullOrEmpty
        # A pipeline of namespaces goes on past one that is not there.
        $rows = @('tcp-none-here', $small | Get-TcpSetting net.ipv4.ip_local_port_range -ErrorVariable e -ErrorAction SilentlyContinue)
        $rows.Count | Should -Be 0 -Because 'strings are setting names when piped by value'
        $rows = @([pscustomobject]@{ NetworkNamespace = 'tcp-none-here' }, [pscustomobject]@{ NetworkNamespace = $small } |
            Get-TcpSetting net.ipv4.ip_local_port_range -ErrorVariable e -ErrorAction SilentlyContinue)
        $rows.NetworkNamespace | Should -Be $small
        $e[0].FullyQualifiedErrorId | Should -Be 'NetworkNamespaceNotFound,TcpClose.Commands.GetTcpSettingCommand'
        Get-ThreadsElsewhere | Should -BeNullOrEmpty
    }

    It 'gives PermissionDenied to a user who is not root, saying it needs root' {
        $out = Invoke-TcpAsUser -Script @"
try { Get-TcpConnection -NetworkNamespace '$plain' -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }
try { Get-TcpConnection -NetworkNamespace '$holderNs' -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId }
(Get-TcpNetworkNamespace -WarningVariable w 3>`$null | Where-Object IsCurrent).Listen -ge 0
`$w.Count
"@
        if ($null -eq $out) { Set-ItResult -Skipped -Because $TcpNoUserPowerShell; return }
        $out[0] | Should -Be 'PermissionDenied,TcpClose.Commands.GetTcpConnectionCommand'
        $out[1] | Should -BeLike '*root*'
        $out[2] | Should -BeIn 'PermissionDenied,TcpClose.Commands.GetTcpConnectionCommand', 'NetworkNamespaceNotFound,TcpClose.Commands.GetTcpConnectionCommand'
        $out[3] | Should -Be 'True'
        $out[4] | Should -Be '1'
    }
}

Describe 'Get-TcpNetworkNamespace where there are no namespaces to enter' {
    It 'lists the session''s own namespace on Linux, marked current' -Skip:(-not $IsLinux) {
        $own = @(Get-TcpNetworkNamespace -WarningAction SilentlyContinue | Where-Object IsCurrent)
        $own.Count | Should -Be 1
        $own[0].NetworkNamespace | Should -Be (Get-Item "/proc/$PID/ns/net").LinkTarget
    }

    It 'stops with PlatformNotSupported elsewhere, naming the value' -Skip:([bool]$IsLinux) {
        { Get-TcpNetworkNamespace -ErrorAction Stop } | Should -Throw -ErrorId 'PlatformNotSupported,TcpClose.Commands.GetTcpNetworkNamespaceCommand'
        $err = { Get-TcpConnection -NetworkNamespace web -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be 'PlatformNotSupported,TcpClose.Commands.GetTcpConnectionCommand'
        $err.Exception.Message | Should -BeLike "*'web'*only on Linux*"
    }
}
