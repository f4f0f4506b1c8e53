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

Describe 'Start-TcpListener' {
    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    Context 'The listener object' {
        It 'binds 127.0.0.1 and an ephemeral port by default' {
            $listener = Start-TcpListener

            $listener | Should -BeOfType 'TcpClose.Listener'
            $listener.LocalAddress | Should -Be '127.0.0.1'
            $listener.AddressFamily | Should -Be 'IPv4'
            $listener.LocalPort | Should -BeGreaterThan 0
            $listener.State | Should -Be 'Listening'
            $listener.Backlog | Should -Be 128
            $listener.Id | Should -BeGreaterThan 0
        }

        It 'reads ReuseAddress back as False without the switch (.NET would force it on Unix)' {
            $listener = Start-TcpListener -Port 0
            $listener.ReuseAddress | Should -BeFalse
            $listener.ReusePort | Should -BeFalse
        }

        It 'reads ReuseAddress back as True with -ReuseAddress, without turning on SO_REUSEPORT' {
            $listener = Start-TcpListener -Port 0 -ReuseAddress
            $listener.ReuseAddress | Should -BeTrue
            $listener.ReusePort | Should -BeFalse
        }

        It 'listens on IPv6 loopback ::1' {
            $listener = Start-TcpListener -Address '::1'
            $listener.LocalAddress | Should -Be '::1'
            $listener.AddressFamily | Should -Be 'IPv6'
            $listener.LocalPort | Should -BeGreaterThan 0
        }

        It 'takes the port as the first positional parameter' {
            $port = Get-FreeTcpPort
            $listener = Start-TcpListener $port
            $listener.LocalPort | Should -Be $port
        }

        It "accepts 'localhost' as 127.0.0.1" {
            (Start-TcpListener -Address localhost).LocalAddress | Should -Be '127.0.0.1'
        }

        It 'keeps the name and the backlog asked for' {
            $listener = Start-TcpListener -Name 'pester-start' -Backlog 5
            $listener.Name | Should -Be 'pester-start'
            $listener.Backlog | Should -Be 5
        }

        It 'is registered: Get-TcpListener returns it' {
            $listener = Start-TcpListener
            (Get-TcpListener -Id $listener.Id).LocalPort | Should -Be $listener.LocalPort
        }

        It 'is a real listening socket: a client can connect' {
            $listener = Start-TcpListener
            $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $listener.LocalPort -Timeout 5
            try {
                $client.State | Should -Be 'Open'
                $client.RemotePort | Should -Be $listener.LocalPort
            }
            finally {
                Close-TestConnection $client
            }
        }
    }

    Context 'A port held by a live listener' {
        # A live listener holds its port on every OS, whatever SO_REUSEADDR says...
        It 'refuses a second listener (old -ReuseAddress:<Old>, new -ReuseAddress:<New>) with AddressInUse' -ForEach @(
            @{ Old = $false; New = $false }
            @{ Old = $true; New = $false }
        ) {
            $first = Start-TcpListener -ReuseAddress:$Old
            { Start-TcpListener -Port $first.LocalPort -ReuseAddress:$New } |
                Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand'
            $first.State | Should -Be 'Listening'
        }

        # ...and on Linux even when both set it: SO_REUSEADDR is not SO_REUSEPORT. (Windows lets a
        # socket with SO_REUSEADDR take over a port in use: that is why it is dangerous there.)
        It 'refuses a second listener on Linux even with -ReuseAddress (old <Old>, new <New>)' -Skip:(-not $onLinux) -ForEach @(
            @{ Old = $false; New = $true }
            @{ Old = $true; New = $true }
        ) {
            $first = Start-TcpListener -ReuseAddress:$Old
            { Start-TcpListener -Port $first.LocalPort -ReuseAddress:$New } |
                Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand'
        }

        It 'names the listener that holds the port in the error' {
            $first = Start-TcpListener
            $err = $null
            try { Start-TcpListener -Port $first.LocalPort } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $err.TargetObject | Should -Be "127.0.0.1:$($first.LocalPort)"
            $err.Exception.InnerException | Should -BeOfType 'System.Net.Sockets.SocketException'
        }

        It 'leaves no listener behind when the bind fails' {
            $first = Start-TcpListener
            $before = @(Get-TcpListener).Count
            { Start-TcpListener -Port $first.LocalPort } | Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand'
            @(Get-TcpListener).Count | Should -Be $before
        }

        It 'lets two listeners share a port with -ReusePort on both (Linux)' -Skip:(-not $onLinux) {
            $first = Start-TcpListener -ReusePort
            $second = Start-TcpListener -Port $first.LocalPort -ReusePort
            $second.LocalPort | Should -Be $first.LocalPort
            $second.ReusePort | Should -BeTrue
            $second.ReuseAddress | Should -BeFalse
        }
    }

    Context 'The restart scenario: the server closed first, its connection is in TIME_WAIT' {
        # TCP-NOTES.md, measured truth table: the rebind works only when both the old and the new
        # listener set SO_REUSEADDR (accepted sockets inherit the old listener's option).
        It 'restart with old -ReuseAddress:<Old> and new -ReuseAddress:<New> throws AddressInUse (Linux)' -Skip:(-not $onLinux) -ForEach @(
            @{ Old = $false; New = $false }
            @{ Old = $false; New = $true }
            @{ Old = $true; New = $false }
        ) {
            $tw = New-TimeWaitOnServer -ReuseAddress:$Old
            $own = $tw.Tuple
            @(Get-TcpTimeWait @own).Count | Should -Be 1

            { Start-TcpListener -Port $tw.Port -ReuseAddress:$New } |
                Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand'
        }

        It 'says "1 connection in TIME_WAIT holds it" for one row, in the singular throughout (Linux)' -Skip:(-not $onLinux) {
            $tw = New-TimeWaitOnServer
            $own = $tw.Tuple
            @(Get-TcpTimeWait @own).Count | Should -Be 1
            $err = { Start-TcpListener -Port $tw.Port } | Should -Throw -ErrorId 'AddressInUse,*' -PassThru
            $err.Exception.Message | Should -BeLike '*1 connection in TIME_WAIT holds it*'
            $err.Exception.Message | Should -BeLike '*waits for it (longest*'
            $err.Exception.Message | Should -Not -Match '\b1 connections\b|\(s\)| hold it'
        }

        It 'restart with -ReuseAddress on both the old and the new listener succeeds (Linux)' -Skip:(-not $onLinux) {
            $tw = New-TimeWaitOnServer -ReuseAddress
            $own = $tw.Tuple
            @(Get-TcpTimeWait @own).Count | Should -Be 1

            $restarted = Start-TcpListener -Port $tw.Port -ReuseAddress
            $restarted.LocalPort | Should -Be $tw.Port
            $restarted.ReuseAddress | Should -BeTrue
            $restarted.State | Should -Be 'Listening'
        }

        It 'restart over IPv6 ::1 without -ReuseAddress throws AddressInUse (Linux)' -Skip:(-not $onLinux) {
            $tw = New-TimeWaitOnServer -Address '::1'
            { Start-TcpListener -Port $tw.Port -Address '::1' } |
                Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand'
        }

        It 'an accepted connection still open blocks the restart (Linux)' -Skip:(-not $onLinux) {
            $old = Start-TcpListener
            $pair = New-TestPair $old
            try {
                $old | Stop-TcpListener -Confirm:$false
                { Start-TcpListener -Port $old.LocalPort } |
                    Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand'
            }
            finally {
                Close-TestConnection $pair.Client $pair.Server
            }
        }
    }

    Context 'Platform-only options' {
        It 'reads -ExclusiveAddressUse back on Windows' -Skip:(-not $onWindows) {
            $listener = Start-TcpListener -ExclusiveAddressUse
            $listener.ExclusiveAddressUse | Should -BeTrue
            $listener.ReuseAddress | Should -BeFalse
        }

        It 'keeps a second listener off a port held with -ExclusiveAddressUse, even one asking for -ReuseAddress, and names the holder (Windows)' -Skip:(-not $onWindows) {
            $first = Start-TcpListener -ExclusiveAddressUse
            foreach ($reuse in $false, $true) {
                $err = $null
                try {
                    $null = Start-TcpListener -Port $first.LocalPort -ReuseAddress:$reuse -ErrorAction Stop
                }
                catch {
                    $err = $_
                }
                $err | Should -Not -BeNullOrEmpty
                $err.FullyQualifiedErrorId | Should -BeLike 'AddressInUse,*'
                $err.Exception.Message | Should -BeLike "*A live listener holds it: 127.0.0.1:$($first.LocalPort)*"
                if ($reuse) {
                    # Windows answers this bind with WSAEACCES; the message must not talk of privileged ports.
                    $err.Exception.Message | Should -BeLike '*SO_EXCLUSIVEADDRUSE*'
                    $err.Exception.Message | Should -Not -BeLike '*below 1024*'
                }
            }
            # The first listener is untouched by the attempts.
            $verdict = Test-TcpBind -Port $first.LocalPort -ReuseAddress
            $verdict.CanBind | Should -BeFalse
            $verdict.Advice | Should -BeLike '*SO_EXCLUSIVEADDRUSE*A live listener holds it*'
            $first.State | Should -Be 'Listening'
        }

        It 'rejects -ReuseAddress with -ExclusiveAddressUse on Windows with ConflictingOptions' -Skip:(-not $onWindows) {
            { Start-TcpListener -ReuseAddress -ExclusiveAddressUse } |
                Should -Throw -ErrorId 'ConflictingOptions,TcpClose.Commands.StartTcpListenerCommand'
        }

        It 'rejects -ExclusiveAddressUse off Windows with PlatformNotSupported' -Skip:$onWindows {
            { Start-TcpListener -ExclusiveAddressUse } |
                Should -Throw -ErrorId 'PlatformNotSupported,TcpClose.Commands.StartTcpListenerCommand'
        }

        It 'rejects -ReusePort on Windows with PlatformNotSupported' -Skip:(-not $onWindows) {
            { Start-TcpListener -ReusePort } |
                Should -Throw -ErrorId 'PlatformNotSupported,TcpClose.Commands.StartTcpListenerCommand'
        }

        It 'rejects -DualMode with an IPv4 address with ConflictingOptions' {
            { Start-TcpListener -Address 127.0.0.1 -DualMode } |
                Should -Throw -ErrorId 'ConflictingOptions,TcpClose.Commands.StartTcpListenerCommand'
        }
    }

    Context 'Invalid input is rejected with the module''s own error ids (terminating)' {
        It 'rejects <Case> with <Id>' -ForEach @(
            @{ Case = '-Port 70000'; Arguments = @{ Port = 70000 }; Id = 'InvalidPort' }
            @{ Case = '-Port -1'; Arguments = @{ Port = -1 }; Id = 'InvalidPort' }
            @{ Case = "-Address 'not-an-ip'"; Arguments = @{ Address = 'not-an-ip' }; Id = 'InvalidAddress' }
            @{ Case = "-Address '999.1.1.1'"; Arguments = @{ Address = '999.1.1.1' }; Id = 'InvalidAddress' }
            @{ Case = '-Backlog 0'; Arguments = @{ Backlog = 0 }; Id = 'InvalidBacklog' }
        ) {
            { Start-TcpListener @Arguments } |
                Should -Throw -ErrorId "$Id,TcpClose.Commands.StartTcpListenerCommand"
        }

        It 'reports invalid input as InvalidArgument with the bad value as target' {
            $err = $null
            try { Start-TcpListener -Port 70000 } catch { $err = $_ }
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.TargetObject | Should -Be 70000
        }
    }
}
