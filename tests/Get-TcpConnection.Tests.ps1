BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

BeforeDiscovery {
    # -Skip: and -ForEach are evaluated while Pester discovers the tests, before any BeforeAll runs.
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $onMacOS = [bool](Get-Variable -Name IsMacOS -ValueOnly -ErrorAction SilentlyContinue)
    $onWindows = -not ($onLinux -or $onMacOS)
    $underWine = [bool](& (Join-Path $PSScriptRoot 'UnderWine.ps1'))
    $asRoot = $onLinux -and "$(id -u)" -eq '0'
}

Describe 'Get-TcpConnection' {
    AfterEach {
        Close-TestConnection $client $server
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'finds this test''s own listener, owned by this process' -Skip:$onMacOS {
        $listener = Start-TcpListener
        $rows = @(Get-TcpConnection -State Listen -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort)

        $rows.Count | Should -Be 1
        $rows[0] | Should -BeOfType 'TcpClose.TcpTableEntry'
        $rows[0].LocalAddress | Should -Be '127.0.0.1'
        $rows[0].LocalPort | Should -Be $listener.LocalPort
        $rows[0].State | Should -Be 'Listen'
        Set-TcpWineSkip "the owner is not shown: GetExtendedTcpTable under Wine reports PID 0 for every row (Wine does not map Linux sockets to Windows processes)"
        $rows[0].OwningProcess | Should -Be $PID
    }

    It 'finds this test''s own listener (macOS: no owner is known)' -Skip:(-not $onMacOS) {
        $listener = Start-TcpListener
        $rows = @(Get-TcpConnection -State Listen -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort)
        $rows.Count | Should -Be 1
        $rows[0].State | Should -Be 'Listen'
    }

    It 'finds an IPv6 listener on ::1' {
        $listener = Start-TcpListener -Address '::1'
        $row = Get-TcpConnection -State Listen -LocalPort $listener.LocalPort -LocalAddress '::1'
        $row.LocalAddress | Should -Be '::1'
        $row.AddressFamily | Should -Be 'IPv6'
    }

    It 'shows both ends of an open connection as Established' {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server

        $clientRow = Get-TcpConnection -LocalPort $client.LocalPort -RemotePort $listener.LocalPort
        $serverRow = Get-TcpConnection -LocalPort $listener.LocalPort -RemotePort $client.LocalPort

        $clientRow.State | Should -Be 'Established'
        $serverRow.State | Should -Be 'Established'
        $serverRow.RemoteAddress | Should -Be '127.0.0.1'
    }

    It 'filters on several states at once' {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server

        # Only rows at 127.0.0.1:port: the listener holds it, so they are this test's (other
        # processes' rows can share the port number at another address, e.g. ::1).
        $rows = @(Get-TcpConnection -State Listen, Established -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort)
        $rows.Count | Should -Be 2
        $rows.State | Should -Contain 'Listen'
        $rows.State | Should -Contain 'Established'
    }

    It 'filters on -OwningProcess $PID and finds the connections of this process' -Skip:$onMacOS {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server

        Set-TcpWineSkip "no row has this process as owner: GetExtendedTcpTable under Wine reports PID 0 for every row (Wine does not map Linux sockets to Windows processes)"
        $rows = @(Get-TcpConnection -OwningProcess $PID)
        $rows.LocalPort | Should -Contain $client.LocalPort
        $rows | ForEach-Object { $_.OwningProcess | Should -Be $PID }
    }

    It 'reads through GetExtendedTcpTable the same <Family> rows for this test''s ports as the Linux kernel below Wine (<File>; Windows path, run under Wine only)' -Skip:(-not $underWine) -ForEach @(
        @{ Family = 'IPv4'; Address = '127.0.0.1'; File = '/proc/net/tcp' }
        @{ Family = 'IPv6'; Address = '::1'; File = '/proc/net/tcp6' }
    ) {
        $listener = Start-TcpListener -Address $Address
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server
        $ports = @($listener.LocalPort, $client.LocalPort)
        # What the kernel says (ss reads the same through netlink): local and remote port, state.
        $states = @{ '01' = 'Established'; '0A' = 'Listen'; '06' = 'TimeWait'; '08' = 'CloseWait' }
        $kernel = @(Get-Content -LiteralPath "Z:$File" | Select-Object -Skip 1 | ForEach-Object {
                $f = -split $_
                $local = [Convert]::ToInt32($f[1].Split(':')[1], 16)
                if ($local -in $ports) {
                    '{0}->{1} {2}' -f $local, [Convert]::ToInt32($f[2].Split(':')[1], 16), $states[$f[3]]
                }
            } | Sort-Object)
        $kernel.Count | Should -Be 3
        $rows = @(Get-TcpConnection -LocalPort $ports | ForEach-Object {
                $_.Source | Should -Be 'WindowsTcpTable'
                $_.AddressFamily | Should -Be $Family
                '{0}->{1} {2}' -f $_.LocalPort, $_.RemotePort, $_.State
            } | Sort-Object)
        $rows | Should -Be $kernel
    }

    It 'shows the owner of an established connection without being asked (Linux, Windows)' -Skip:$onMacOS {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server

        $row = Get-TcpConnection -State Established -LocalPort $client.LocalPort -RemotePort $listener.LocalPort
        $row | Should -Not -BeNullOrEmpty
        Set-TcpWineSkip "the owner is not shown: GetExtendedTcpTable under Wine reports PID 0 for every row (Wine does not map Linux sockets to Windows processes)"
        $row.OwningProcess | Should -Be $PID
        $row.ProcessName | Should -Not -BeNullOrEmpty
    }

    It 'names no owner, and writes no error, for a socket of a process another user cannot read (Linux, run as root: asked as nobody)' -Skip:(-not $asRoot) {
        # A listener of this (root) process, asked about by user nobody: /proc/<pid>/fd of another
        # user's process is not readable, so the row comes without an owner, as with ss -p.
        $listener = Start-TcpListener
        $said = Invoke-TcpAsUser -Script "`$rows = @(Get-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $($listener.LocalPort) -State Listen -ErrorVariable e); 'rows ' + `$rows.Count; 'owner [' + `$rows[0].OwningProcess + ']'; 'errors ' + `$e.Count"
        if ($null -eq $said) {
            Set-ItResult -Skipped -Because $TcpNoUserPowerShell
            return
        }
        $said | Should -Contain 'rows 1'
        $said | Should -Contain 'owner []'
        $said | Should -Contain 'errors 0'
        (Get-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort -State Listen).OwningProcess | Should -Be $PID
    }

    It 'returns nothing, and no error, when no row matches' {
        $port = Get-FreeTcpPort
        $rows = Get-TcpConnection -State Listen -LocalPort $port -ErrorVariable err
        $rows | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
    }

    It 'shows a graceful closer in FIN_WAIT_2 and its peer in CLOSE_WAIT until the peer closes (Linux)' -Skip:(-not $onLinux) {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server
        $null = $server | Close-TcpConnection

        (Wait-Until { (Get-TcpConnection -LocalPort $client.LocalPort -RemotePort $listener.LocalPort).State -eq 'CloseWait' }) |
            Should -BeTrue
        (Get-TcpConnection -LocalPort $listener.LocalPort -RemotePort $client.LocalPort).State | Should -Be 'FinWait2'
    }

    It 'writes rows that survive Export-Csv' {
        $listener = Start-TcpListener
        $path = Join-Path ([System.IO.Path]::GetTempPath()) ("tcpclose-{0}.csv" -f [guid]::NewGuid())
        try {
            Get-TcpConnection -State Listen -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort | Export-Csv -Path $path -NoTypeInformation
            $back = @(Import-Csv -Path $path)
            $back.Count | Should -Be 1
            $back[0].LocalPort | Should -Be "$($listener.LocalPort)"
            $back[0].State | Should -Be 'Listen'
            $back[0].LocalAddress | Should -Be '127.0.0.1'
        }
        finally {
            Remove-Item -Path $path -ErrorAction SilentlyContinue
        }
    }
}
