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

Describe 'Wait-TcpTimeWait' {
    BeforeAll {
        $ProgressPreference = 'SilentlyContinue'
    }

    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'returns at once, with nothing and no error, when the port has no TIME_WAIT' {
        # Held while asked: a listener bound without SO_REUSEADDR that accepts nothing means no
        # TIME_WAIT row holds 127.0.0.1:port. Other processes' rows can share the port number at
        # other addresses (::1): hence -LocalAddress.
        $listener = Start-TcpListener
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $left = Wait-TcpTimeWait -LocalPort $listener.LocalPort -LocalAddress 127.0.0.1 -Timeout 10 -ErrorVariable err
        $clock.Stop()

        $left | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
    }

    It 'rejects -Timeout <Timeout> with InvalidTimeout' -ForEach @(
        @{ Timeout = 0 }
        @{ Timeout = -1 }
    ) {
        $port = Get-FreeTcpPort
        { Wait-TcpTimeWait -LocalPort $port -Timeout $Timeout -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTimeout,TcpClose.Commands.WaitTcpTimeWaitCommand'
    }

    # Linux: exact timers, 60 s. Windows (Wine too): the rows are there with an estimated time left
    # (first seen + TcpTimedWaitDelay, 120 s by default). macOS's table source shows no TIME_WAIT.
    Context 'A port with a connection in TIME_WAIT' {
        BeforeAll {
            $tw = New-TimeWaitOnServer
            # Other processes' rows can share the port number (IPv4 and IPv6): the assertions pick
            # this connection's row out by its exact 4-tuple.
            $own = $tw.Tuple
        }

        It 'writes TimeWaitRemains after a short -Timeout, then the rows left' -Skip:$onMacOS {
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $left = @(Wait-TcpTimeWait -LocalPort $tw.Port -LocalAddress $own.LocalAddress -Timeout 1 -ErrorVariable err -ErrorAction SilentlyContinue)
            $clock.Stop()

            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be 'TimeWaitRemains,TcpClose.Commands.WaitTcpTimeWaitCommand'
            $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'

            $mine = @($left | Select-TcpTuple $own)
            $mine.Count | Should -Be 1
            $mine[0] | Should -BeOfType 'TcpClose.TimeWaitEntry'
            $mine[0].RemainingSeconds | Should -BeGreaterThan 40
            $left | Where-Object { $_.LocalPort -ne $tw.Port -or $_.LocalAddress -ne $own.LocalAddress } | Should -BeNullOrEmpty

            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        }

        It 'stops the script with -ErrorAction Stop' -Skip:$onMacOS {
            { Wait-TcpTimeWait -LocalPort $tw.Port -Timeout 0.5 -ErrorAction Stop } |
                Should -Throw -ErrorId 'TimeWaitRemains,TcpClose.Commands.WaitTcpTimeWaitCommand'
        }

        It 'takes the port positionally, and from a piped object''s LocalPort (a listener''s, by property name)' -Skip:$onMacOS {
            # Each form must report this connection's row: a command that ignored the port would not.
            $positional = @(Wait-TcpTimeWait $tw.Port -LocalAddress $own.LocalAddress -Timeout 0.5 -ErrorAction SilentlyContinue -ErrorVariable e1)
            $tw.Listener.LocalPort | Should -Be $tw.Port
            $piped = @($tw.Listener | Wait-TcpTimeWait -Timeout 0.5 -ErrorAction SilentlyContinue -ErrorVariable e2)   # the listener itself
            @($positional | Select-TcpTuple $own).Count | Should -Be 1
            @($piped | Select-TcpTuple $own).Count | Should -Be 1
            $e1.FullyQualifiedErrorId | Should -Be 'TimeWaitRemains,TcpClose.Commands.WaitTcpTimeWaitCommand'
            $e2.FullyQualifiedErrorId | Should -Be 'TimeWaitRemains,TcpClose.Commands.WaitTcpTimeWaitCommand'
        }

        It 'accepts a TIME_WAIT row from the pipeline' -Skip:$onMacOS {
            $rows = @(Get-TcpTimeWait @own)
            $rows.Count | Should -Be 1
            $left = @($rows | Wait-TcpTimeWait -Timeout 0.5 -ErrorAction SilentlyContinue)
            @($left | Select-TcpTuple $own).Count | Should -Be 1
        }

        It 'ignores the port''s rows when -LocalAddress names another address' -Skip:$onMacOS {
            # Another process's row on ::1 with the same port number would be left (and reported):
            # what matters is that this connection's row, at 127.0.0.1, is not waited for.
            $left = @(Wait-TcpTimeWait -LocalPort $tw.Port -LocalAddress '::1' -Timeout 5 -ErrorAction SilentlyContinue)
            @($left | Select-TcpTuple $own).Count | Should -Be 0
            $left | Where-Object LocalAddress -ne '::1' | Should -BeNullOrEmpty
        }
    }
}
