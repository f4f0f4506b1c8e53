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
        $port = Get-FreeTcpPort
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $left = Wait-TcpTimeWait -LocalPort $port -Timeout 10 -ErrorVariable err
        $clock.Stop()

        $left | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
    }

    It 'takes the port positionally and from a piped listener (LocalPort by property name)' {
        $listener = Start-TcpListener
        $listener | Wait-TcpTimeWait -Timeout 5 | Should -BeNullOrEmpty
        Wait-TcpTimeWait $listener.LocalPort -Timeout 5 | Should -BeNullOrEmpty
    }

    It 'rejects -Timeout <Timeout> with InvalidTimeout' -ForEach @(
        @{ Timeout = 0 }
        @{ Timeout = -1 }
    ) {
        $port = Get-FreeTcpPort
        { Wait-TcpTimeWait -LocalPort $port -Timeout $Timeout -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTimeout,TcpClose.Commands.WaitTcpTimeWaitCommand'
    }

    Context 'A port with a connection in TIME_WAIT (Linux: 60 s)' {
        BeforeAll {
            $tw = New-TimeWaitOnServer
        }

        It 'writes TimeWaitRemains after a short -Timeout, then the rows left' -Skip:(-not $onLinux) {
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $left = @(Wait-TcpTimeWait -LocalPort $tw.Port -Timeout 1 -ErrorVariable err -ErrorAction SilentlyContinue)
            $clock.Stop()

            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be 'TimeWaitRemains,TcpClose.Commands.WaitTcpTimeWaitCommand'
            $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'

            $left.Count | Should -Be 1
            $left[0] | Should -BeOfType 'TcpClose.TimeWaitEntry'
            $left[0].RemotePort | Should -Be $tw.ClientPort
            $left[0].RemainingSeconds | Should -BeGreaterThan 40

            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        }

        It 'stops the script with -ErrorAction Stop' -Skip:(-not $onLinux) {
            { Wait-TcpTimeWait -LocalPort $tw.Port -Timeout 0.5 -ErrorAction Stop } |
                Should -Throw -ErrorId 'TimeWaitRemains,TcpClose.Commands.WaitTcpTimeWaitCommand'
        }

        It 'accepts a TIME_WAIT row from the pipeline' -Skip:(-not $onLinux) {
            $rows = @(Get-TcpTimeWait -LocalPort $tw.Port)
            $rows.Count | Should -Be 1
            $left = @($rows | Wait-TcpTimeWait -Timeout 0.5 -ErrorAction SilentlyContinue)
            $left.Count | Should -Be 1
        }

        It 'ignores the port''s rows when -LocalAddress names another address' -Skip:(-not $onLinux) {
            Wait-TcpTimeWait -LocalPort $tw.Port -LocalAddress '::1' -Timeout 5 | Should -BeNullOrEmpty
        }
    }
}
