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

Describe 'Test-TcpBind' {
    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'says a free port can be bound, and blames nothing' {
        $port = Get-FreeTcpPort
        $result = Test-TcpBind -Port $port

        $result | Should -BeOfType 'TcpClose.BindTestResult'
        $result.Address | Should -Be '127.0.0.1'
        $result.Port | Should -Be $port
        $result.ReuseAddress | Should -BeFalse
        $result.CanBind | Should -BeTrue
        $result.Error | Should -BeNullOrEmpty
        @($result.BlockedBy).Count | Should -Be 0
        $result.TimeWaitCount | Should -Be 0
        $result.Advice | Should -Not -BeNullOrEmpty
    }

    It 'releases the port it tested: a real listener can take it right after' {
        $port = Get-FreeTcpPort
        (Test-TcpBind -Port $port).CanBind | Should -BeTrue
        (Start-TcpListener -Port $port).LocalPort | Should -Be $port
    }

    It 'says a port held by a live listener cannot be bound, and names the listener' {
        $listener = Start-TcpListener
        $result = Test-TcpBind -Port $listener.LocalPort

        $result.CanBind | Should -BeFalse
        $result.Error | Should -Be 'AddressAlreadyInUse'
        $result.NativeErrorCode | Should -Not -BeNullOrEmpty
        $listen = @($result.BlockedBy | Where-Object State -EQ 'Listen')
        $listen.Count | Should -Be 1
        $listen[0].LocalPort | Should -Be $listener.LocalPort
        $result.Advice | Should -Not -BeNullOrEmpty
    }

    It 'names this process as the owner of the blocking listener' -Skip:$onMacOS {
        $listener = Start-TcpListener
        $listen = (Test-TcpBind -Port $listener.LocalPort).BlockedBy | Where-Object State -EQ 'Listen'
        $listen | Should -Not -BeNullOrEmpty
        Set-TcpWineSkip "the owner is not shown: GetExtendedTcpTable under Wine reports PID 0 for every row (Wine does not map Linux sockets to Windows processes)"
        $listen.OwningProcess | Should -Be $PID
    }

    It 'tests IPv6 ::1' {
        $listener = Start-TcpListener -Address '::1'
        $result = Test-TcpBind -Port $listener.LocalPort -Address '::1'
        $result.Address | Should -Be '::1'
        $result.CanBind | Should -BeFalse
    }

    It 'takes -Port from the pipeline by property name' {
        $port = Get-FreeTcpPort
        $result = [pscustomobject]@{ Port = $port } | Test-TcpBind
        $result.Port | Should -Be $port
        $result.CanBind | Should -BeTrue
    }

    It 'takes a piped listener through its LocalPort and LocalAddress' {
        $listener = Start-TcpListener -Address '::1'
        $result = $listener | Test-TcpBind
        $result.Port | Should -Be $listener.LocalPort
        $result.Address | Should -Be '::1'
        $result.CanBind | Should -BeFalse
    }

    Context 'A port held only by TIME_WAIT (Linux)' {
        BeforeAll {
            # The restart scenario: the old listener did not set SO_REUSEADDR.
            $tw = New-TimeWaitOnServer
        }

        It 'cannot be bound; BlockedBy holds the TIME_WAIT row and Advice points at Wait-TcpTimeWait' -Skip:(-not $onLinux) {
            $result = Test-TcpBind -Port $tw.Port
            $result.CanBind | Should -BeFalse
            $result.Error | Should -Be 'AddressAlreadyInUse'
            $result.TimeWaitCount | Should -Be 1
            @($result.BlockedBy).Count | Should -Be 1
            $result.BlockedBy[0].State | Should -Be 'TimeWait'
            $result.BlockedBy[0].RemotePort | Should -Be $tw.ClientPort
            $result.LongestTimeWait.TotalSeconds | Should -BeGreaterThan 40
            $result.LongestTimeWait.TotalSeconds | Should -BeLessOrEqual 61
            $result.Advice | Should -Match 'Wait-TcpTimeWait'
        }

        It 'cannot be bound with -ReuseAddress either, because the old listener did not set it' -Skip:(-not $onLinux) {
            $result = Test-TcpBind -Port $tw.Port -ReuseAddress
            $result.ReuseAddress | Should -BeTrue
            $result.CanBind | Should -BeFalse
        }

        It 'agrees with a real bind' -Skip:(-not $onLinux) {
            { Start-TcpListener -Port $tw.Port } |
                Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand'
        }
    }

    It 'can bind over TIME_WAIT with -ReuseAddress when the old listener set it too (Linux)' -Skip:(-not $onLinux) {
        $tw = New-TimeWaitOnServer -ReuseAddress
        $result = Test-TcpBind -Port $tw.Port -ReuseAddress
        $result.CanBind | Should -BeTrue
        $result.TimeWaitCount | Should -Be 1
        (Test-TcpBind -Port $tw.Port).CanBind | Should -BeFalse
    }

    It 'gives the time left of a TIME_WAIT row on Windows as Get-TcpTimeWait estimates it, in LongestTimeWait and the advice' -Skip:(-not $onWindows) {
        # Windows keeps no readable TIME_WAIT timer: both read first seen + TcpTimedWaitDelay, with
        # the same first-seen bookkeeping, so Test-TcpBind cannot report 0 s for a fresh row.
        $tw = New-TimeWaitOnServer
        (Wait-Until { @(Get-TcpTimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort).Count -eq 1 }) | Should -BeTrue
        $row = Get-TcpTimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort
        $row.IsEstimated | Should -BeTrue
        $row.RemainingSeconds | Should -BeGreaterThan 20

        $result = Test-TcpBind -Port $tw.Port
        $result.TimeWaitCount | Should -Be 1
        $result.LongestTimeWait.TotalSeconds | Should -BeLessOrEqual ($row.RemainingSeconds + 0.001)
        $result.LongestTimeWait.TotalSeconds | Should -BeGreaterThan ($row.RemainingSeconds - 15)
        $seconds = [math]::Ceiling($result.LongestTimeWait.TotalSeconds)
        $result.Advice | Should -BeLike "*(longest about $seconds s left, estimated)*"
    }

    It 'rejects -ExclusiveAddressUse off Windows with PlatformNotSupported' -Skip:$onWindows {
        $port = Get-FreeTcpPort
        { Test-TcpBind -Port $port -ExclusiveAddressUse -ErrorAction Stop } |
            Should -Throw -ErrorId 'PlatformNotSupported,TcpClose.Commands.TestTcpBindCommand'
    }

    It 'tests with -ExclusiveAddressUse on Windows' -Skip:(-not $onWindows) {
        $port = Get-FreeTcpPort
        $result = Test-TcpBind -Port $port -ExclusiveAddressUse
        $result.ExclusiveAddressUse | Should -BeTrue
        $result.CanBind | Should -BeTrue
    }

    It 'rejects <Case> with <Id>' -ForEach @(
        @{ Case = '-Port 70000'; Arguments = @{ Port = 70000 }; Id = 'InvalidPort' }
        @{ Case = '-Port -1'; Arguments = @{ Port = -1 }; Id = 'InvalidPort' }
        @{ Case = "-Address 'not-an-ip'"; Arguments = @{ Port = 80; Address = 'not-an-ip' }; Id = 'InvalidAddress' }
    ) {
        { Test-TcpBind @Arguments -ErrorAction Stop } |
            Should -Throw -ErrorId "$Id,TcpClose.Commands.TestTcpBindCommand"
    }
}
