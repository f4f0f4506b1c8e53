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
}

Describe 'Get-TcpConnection' {
    AfterEach {
        Close-TestConnection $client $server
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'finds this test''s own listener, owned by this process' -Skip:$onMacOS {
        $listener = Start-TcpListener
        $rows = @(Get-TcpConnection -State Listen -LocalPort $listener.LocalPort)

        $rows.Count | Should -Be 1
        $rows[0] | Should -BeOfType 'TcpClose.TcpTableEntry'
        $rows[0].LocalAddress | Should -Be '127.0.0.1'
        $rows[0].LocalPort | Should -Be $listener.LocalPort
        $rows[0].State | Should -Be 'Listen'
        $rows[0].OwningProcess | Should -Be $PID
    }

    It 'finds this test''s own listener (macOS: no owner is known)' -Skip:(-not $onMacOS) {
        $listener = Start-TcpListener
        $rows = @(Get-TcpConnection -State Listen -LocalPort $listener.LocalPort)
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

        $rows = @(Get-TcpConnection -State Listen, Established -LocalPort $listener.LocalPort)
        $rows.Count | Should -Be 2
        $rows.State | Should -Contain 'Listen'
        $rows.State | Should -Contain 'Established'
    }

    It 'filters on -OwningProcess $PID and finds the connections of this process' -Skip:$onMacOS {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server

        $rows = @(Get-TcpConnection -OwningProcess $PID)
        $rows.LocalPort | Should -Contain $client.LocalPort
        $rows | ForEach-Object { $_.OwningProcess | Should -Be $PID }
    }

    It 'shows the owner of an established connection without being asked (Linux, Windows)' -Skip:$onMacOS {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server

        $row = Get-TcpConnection -State Established -LocalPort $client.LocalPort -RemotePort $listener.LocalPort
        $row.OwningProcess | Should -Be $PID
        $row.ProcessName | Should -Not -BeNullOrEmpty
    }

    It 'stops with the module''s id for a bad filter value: -<Parameter> <Value> is <Id>' -ForEach @(
        @{ Parameter = 'LocalPort'; Value = 99999; Id = 'InvalidPort' }
        @{ Parameter = 'RemotePort'; Value = -1; Id = 'InvalidPort' }
        @{ Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress' }
        @{ Parameter = 'RemoteAddress'; Value = '300.1.1.1'; Id = 'InvalidAddress' }
    ) {
        $arguments = @{ $Parameter = $Value }
        $err = { Get-TcpConnection @arguments } | Should -Throw -ErrorId "$Id,TcpClose.Commands.GetTcpConnectionCommand" -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike "*$Value*"
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
            Get-TcpConnection -State Listen -LocalPort $listener.LocalPort | Export-Csv -Path $path -NoTypeInformation
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
