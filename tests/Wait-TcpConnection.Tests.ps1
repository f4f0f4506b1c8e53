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

Describe 'Wait-TcpConnection' {
    AfterEach {
        Close-TestConnection $client $server
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'accepts the next connection and returns its server side' {
        $listener = Start-TcpListener
        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 5
        $server = Wait-TcpConnection -Listener $listener -Timeout 5

        $server | Should -BeOfType 'TcpClose.Connection'
        $server.Role | Should -Be 'Server'
        $server.ListenerId | Should -Be $listener.Id
        $server.State | Should -Be 'Open'
        $server.LocalAddress | Should -Be '127.0.0.1'
        $server.LocalPort | Should -Be $listener.LocalPort
        $server.RemotePort | Should -Be $client.LocalPort
        $client.RemotePort | Should -Be $server.LocalPort
        $listener.AcceptedCount | Should -Be 1
    }

    It 'takes the listener from the pipeline' {
        $listener = Start-TcpListener
        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 5
        $server = $listener | Wait-TcpConnection -Timeout 5
        $server.RemotePort | Should -Be $client.LocalPort
    }

    It 'takes the listener by -Id' {
        $listener = Start-TcpListener
        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 5
        $server = Wait-TcpConnection -Id $listener.Id -Timeout 5
        $server.ListenerId | Should -Be $listener.Id
    }

    It 'accepts over IPv6 ::1' {
        $listener = Start-TcpListener -Address '::1'
        $client = New-TcpConnection -RemoteAddress '::1' -RemotePort $listener.LocalPort -Timeout 5
        $server = Wait-TcpConnection -Listener $listener -Timeout 5
        $server.AddressFamily | Should -Be 'IPv6'
        $server.RemoteAddress | Should -Be '::1'
    }

    It 'gives the accepted socket the listener''s SO_REUSEADDR (<Reuse>) on Linux' -Skip:(-not $onLinux) -ForEach @(
        @{ Reuse = $false }
        @{ Reuse = $true }
    ) {
        $listener = Start-TcpListener -ReuseAddress:$Reuse
        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 5
        $server = Wait-TcpConnection -Listener $listener -Timeout 5
        $server.ReuseAddress | Should -Be $Reuse
    }

    It 'writes a non-terminating AcceptTimeout when nobody connects, within a bounded time' {
        $listener = Start-TcpListener
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $result = Wait-TcpConnection -Listener $listener -Timeout 0.5 -ErrorVariable err -ErrorAction SilentlyContinue
        $clock.Stop()

        $result | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'AcceptTimeout,TcpClose.Commands.WaitTcpConnectionCommand'
        $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.4
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        $listener.State | Should -Be 'Listening'
    }

    It 'goes on with the next piped listener after a timeout' {
        $quiet = Start-TcpListener
        $busy = Start-TcpListener
        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $busy.LocalPort -Timeout 5

        $server = @($quiet, $busy | Wait-TcpConnection -Timeout 0.5 -ErrorVariable err -ErrorAction SilentlyContinue)

        $err.Count | Should -Be 1
        $server.Count | Should -Be 1
        $server[0].ListenerId | Should -Be $busy.Id
    }

    It 'writes ListenerStopped for a stopped listener' {
        $listener = Start-TcpListener
        $listener | Stop-TcpListener -Confirm:$false
        { Wait-TcpConnection -Listener $listener -Timeout 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ListenerStopped,TcpClose.Commands.WaitTcpConnectionCommand'
    }

    It 'rejects -Timeout <Timeout> with InvalidTimeout' -ForEach @(
        @{ Timeout = 0 }
        @{ Timeout = -1 }
    ) {
        $listener = Start-TcpListener
        { Wait-TcpConnection -Listener $listener -Timeout $Timeout -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTimeout,TcpClose.Commands.WaitTcpConnectionCommand'
    }
}
