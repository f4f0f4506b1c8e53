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

Describe 'New-TcpConnection' {
    AfterEach {
        Close-TestConnection $client $server
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'connects to a listener and returns the client side' {
        $listener = Start-TcpListener
        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort

        $client | Should -BeOfType 'TcpClose.Connection'
        $client.Role | Should -Be 'Client'
        $client.ListenerId | Should -BeNullOrEmpty
        $client.State | Should -Be 'Open'
        $client.RemoteAddress | Should -Be '127.0.0.1'
        $client.RemotePort | Should -Be $listener.LocalPort
        $client.LocalPort | Should -BeGreaterThan 0
        $client.ReuseAddress | Should -BeFalse
        $client.BytesSent | Should -Be 0

        $server = Wait-TcpConnection -Listener $listener -Timeout 5
        $server.RemotePort | Should -Be $client.LocalPort
    }

    It 'takes -RemoteAddress and -RemotePort positionally' {
        $listener = Start-TcpListener
        $client = New-TcpConnection 127.0.0.1 $listener.LocalPort -Timeout 5
        $client.RemotePort | Should -Be $listener.LocalPort
    }

    It 'connects over IPv6 ::1' {
        $listener = Start-TcpListener -Address '::1'
        $client = New-TcpConnection -RemoteAddress '::1' -RemotePort $listener.LocalPort -Timeout 5
        $client.AddressFamily | Should -Be 'IPv6'
        $client.LocalAddress | Should -Be '::1'
    }

    It 'connects to localhost' {
        $listener = Start-TcpListener
        $client = New-TcpConnection -RemoteAddress localhost -RemotePort $listener.LocalPort -Timeout 5
        $client.RemotePort | Should -Be $listener.LocalPort
    }

    It 'binds the -LocalPort asked for, with SO_REUSEADDR read back when -ReuseAddress is given' {
        $listener = Start-TcpListener
        $localPort = Get-FreeTcpPort
        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -LocalAddress 127.0.0.1 -LocalPort $localPort -ReuseAddress -Timeout 5
        $client.LocalPort | Should -Be $localPort
        $client.ReuseAddress | Should -BeTrue
    }

    It 'throws ConnectionRefused when nothing listens on the port' {
        $port = Get-FreeTcpPort
        { New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $port -Timeout 5 } |
            Should -Throw -ErrorId 'ConnectionRefused,TcpClose.Commands.NewTcpConnectionCommand'
    }

    It 'throws AddressInUse when -LocalPort is held by a live listener' {
        $listener = Start-TcpListener
        $holder = Start-TcpListener
        { New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -LocalAddress 127.0.0.1 -LocalPort $holder.LocalPort -Timeout 5 } |
            Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.NewTcpConnectionCommand'
    }

    It 'throws ConflictingOptions for an IPv4 local address with an IPv6 remote address' {
        $listener = Start-TcpListener -Address '::1'
        { New-TcpConnection -RemoteAddress '::1' -RemotePort $listener.LocalPort -LocalAddress 127.0.0.1 -Timeout 5 } |
            Should -Throw -ErrorId 'ConflictingOptions,TcpClose.Commands.NewTcpConnectionCommand'
    }

    It 'rejects <Case> with <Id> (terminating)' -ForEach @(
        @{ Case = '-RemotePort 70000'; Arguments = @{ RemoteAddress = '127.0.0.1'; RemotePort = 70000 }; Id = 'InvalidPort' }
        @{ Case = '-RemotePort 0'; Arguments = @{ RemoteAddress = '127.0.0.1'; RemotePort = 0 }; Id = 'InvalidPort' }
        @{ Case = '-LocalPort 70000'; Arguments = @{ RemoteAddress = '127.0.0.1'; RemotePort = 80; LocalPort = 70000 }; Id = 'InvalidPort' }
        @{ Case = "-LocalAddress 'not-an-ip'"; Arguments = @{ RemoteAddress = '127.0.0.1'; RemotePort = 80; LocalAddress = 'not-an-ip' }; Id = 'InvalidAddress' }
        @{ Case = '-Timeout 0'; Arguments = @{ RemoteAddress = '127.0.0.1'; RemotePort = 80; Timeout = 0 }; Id = 'InvalidTimeout' }
        @{ Case = '-Timeout -5'; Arguments = @{ RemoteAddress = '127.0.0.1'; RemotePort = 80; Timeout = -5 }; Id = 'InvalidTimeout' }
    ) {
        { New-TcpConnection @Arguments } |
            Should -Throw -ErrorId "$Id,TcpClose.Commands.NewTcpConnectionCommand"
    }
}
