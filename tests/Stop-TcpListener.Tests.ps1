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

Describe 'Stop-TcpListener' {
    BeforeEach {
        $prefix = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    }

    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'stops a piped listener: State Stopped, gone from Get-TcpListener, nothing written' {
        $listener = Start-TcpListener
        $output = $listener | Stop-TcpListener -Confirm:$false

        $output | Should -BeNullOrEmpty
        $listener.State | Should -Be 'Stopped'
        @(Get-TcpListener).Id | Should -Not -Contain $listener.Id
    }

    It 'closes the socket: the port can be bound again at once (it never accepted, so no TIME_WAIT)' {
        $listener = Start-TcpListener
        $listener | Stop-TcpListener -Confirm:$false
        (Start-TcpListener -Port $listener.LocalPort).LocalPort | Should -Be $listener.LocalPort
    }

    It 'closes the socket: a client is refused afterwards' {
        $listener = Start-TcpListener
        $listener | Stop-TcpListener -Confirm:$false
        { New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 5 } |
            Should -Throw -ErrorId 'ConnectionRefused,TcpClose.Commands.NewTcpConnectionCommand'
    }

    It 'writes the stopped listener with -PassThru' {
        $listener = Start-TcpListener
        $output = Stop-TcpListener -Listener $listener -PassThru -Confirm:$false
        $output | Should -BeOfType 'TcpClose.Listener'
        $output.Id | Should -Be $listener.Id
        $output.State | Should -Be 'Stopped'
    }

    It 'stops by -Id' {
        $a = Start-TcpListener
        $b = Start-TcpListener
        Stop-TcpListener -Id $a.Id -Confirm:$false
        $a.State | Should -Be 'Stopped'
        $b.State | Should -Be 'Listening'
    }

    It 'stops by a wildcard -Name' {
        $web1 = Start-TcpListener -Name "$prefix-web-1"
        $web2 = Start-TcpListener -Name "$prefix-web-2"
        $db = Start-TcpListener -Name "$prefix-db"

        Stop-TcpListener -Name "$prefix-web*" -Confirm:$false

        $web1.State | Should -Be 'Stopped'
        $web2.State | Should -Be 'Stopped'
        $db.State | Should -Be 'Listening'
    }

    It 'leaves the listener listening with -WhatIf' {
        $listener = Start-TcpListener
        $output = $listener | Stop-TcpListener -WhatIf

        $output | Should -BeNullOrEmpty
        $listener.State | Should -Be 'Listening'
        (Get-TcpListener -Id $listener.Id).Id | Should -Be $listener.Id
        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 5
        try {
            $server = Wait-TcpConnection -Listener $listener -Timeout 5
            $server.RemotePort | Should -Be $client.LocalPort
        }
        finally {
            Close-TestConnection $client $server
        }
    }

    It 'leaves listeners listening with -WhatIf by -Name and by -Id' {
        $listener = Start-TcpListener -Name "$prefix-keep"
        Stop-TcpListener -Name "$prefix-*" -WhatIf
        Stop-TcpListener -Id $listener.Id -WhatIf
        $listener.State | Should -Be 'Listening'
    }

    It 'writes a non-terminating ListenerStopped for a listener already stopped, and goes on' {
        $stopped = Start-TcpListener
        $stopped | Stop-TcpListener -Confirm:$false
        $live = Start-TcpListener

        $output = @($stopped, $live | Stop-TcpListener -PassThru -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue)

        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'ListenerStopped,TcpClose.Commands.StopTcpListenerCommand'
        $live.State | Should -Be 'Stopped'
        $output.Count | Should -Be 1
        $output[0].Id | Should -Be $live.Id
    }

    It 'writes ListenerNotFound for an unknown id' {
        { Stop-TcpListener -Id 2147483000 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ListenerNotFound,TcpClose.Commands.StopTcpListenerCommand'
    }

    It 'leaves an accepted connection open: stopping a listener closes only the listening socket' {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        try {
            $listener | Stop-TcpListener -Confirm:$false
            $null = Send-TcpData -Connection $pair.Server -Text 'still here'
            (Receive-TcpData -Connection $pair.Client -Timeout 5).Text | Should -Be 'still here'
        }
        finally {
            Close-TestConnection $pair.Client $pair.Server
        }
    }
}
