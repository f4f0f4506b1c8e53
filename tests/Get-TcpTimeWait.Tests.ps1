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

Describe 'Get-TcpTimeWait' {
    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'stops with the module''s id for a bad filter value: -<Parameter> <Value> is <Id>' -ForEach @(
        @{ Parameter = 'LocalPort'; Value = 99999; Id = 'InvalidPort' }
        @{ Parameter = 'RemotePort'; Value = -1; Id = 'InvalidPort' }
        @{ Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress' }
        @{ Parameter = 'RemoteAddress'; Value = '300.1.1.1'; Id = 'InvalidAddress' }
    ) {
        $arguments = @{ $Parameter = $Value }
        $err = { Get-TcpTimeWait @arguments } | Should -Throw -ErrorId "$Id,TcpClose.Commands.GetTcpTimeWaitCommand" -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike "*$Value*"
    }

    It 'returns nothing for a port without TIME_WAIT' {
        $port = Get-FreeTcpPort
        Get-TcpTimeWait -LocalPort $port | Should -BeNullOrEmpty
    }

    Context 'After an active close (Linux: exact timers, 60 s fixed)' {
        BeforeAll {
            # One TIME_WAIT row for the whole context: the server closed first.
            $tw = New-TimeWaitOnServer
        }

        It 'lists the active closer''s side with RemainingSeconds between 50 and 61' -Skip:(-not $onLinux) {
            $rows = @(Get-TcpTimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort)
            $rows.Count | Should -Be 1
            $row = $rows[0]
            $row | Should -BeOfType 'TcpClose.TimeWaitEntry'
            $row.State | Should -Be 'TimeWait'
            $row.LocalAddress | Should -Be '127.0.0.1'
            $row.RemoteAddress | Should -Be '127.0.0.1'
            $row.RemainingSeconds | Should -BeGreaterThan 50
            $row.RemainingSeconds | Should -BeLessOrEqual 61
            $row.Remaining | Should -BeOfType 'System.TimeSpan'
            $row.IsEstimated | Should -BeFalse
            $row.ExpiresAt | Should -BeGreaterThan $row.ObservedAt
        }

        It 'does not list the passive closer''s side' -Skip:(-not $onLinux) {
            Get-TcpTimeWait -LocalPort $tw.ClientPort -RemotePort $tw.Port | Should -BeNullOrEmpty
        }

        It 'works with Where-Object RemainingSeconds -gt 30' -Skip:(-not $onLinux) {
            $long = @(Get-TcpTimeWait -LocalPort $tw.Port | Where-Object RemainingSeconds -gt 30)
            $long.Count | Should -Be 1
            @(Get-TcpTimeWait -LocalPort $tw.Port | Where-Object RemainingSeconds -gt 61).Count | Should -Be 0
        }

        It 'filters on -RemoteAddress and -LocalAddress' -Skip:(-not $onLinux) {
            @(Get-TcpTimeWait -LocalPort $tw.Port -LocalAddress 127.0.0.1 -RemoteAddress 127.0.0.1).Count | Should -Be 1
            @(Get-TcpTimeWait -LocalPort $tw.Port -RemoteAddress '::1').Count | Should -Be 0
        }

        It 'agrees with Get-TcpConnection -State TimeWait' -Skip:(-not $onLinux) {
            $row = Get-TcpConnection -State TimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort
            $row.State | Should -Be 'TimeWait'
            $row.OwningProcess | Should -BeNullOrEmpty
        }

        It 'writes rows that survive Export-Csv' -Skip:(-not $onLinux) {
            $path = Join-Path ([System.IO.Path]::GetTempPath()) ("tcpclose-{0}.csv" -f [guid]::NewGuid())
            try {
                Get-TcpTimeWait -LocalPort $tw.Port | Export-Csv -Path $path -NoTypeInformation
                $back = @(Import-Csv -Path $path)
                $back.Count | Should -Be 1
                [double]$back[0].RemainingSeconds | Should -BeGreaterThan 0
                $back[0].LocalPort | Should -Be "$($tw.Port)"
            }
            finally {
                Remove-Item -Path $path -ErrorAction SilentlyContinue
            }
        }

        It 'lists the row on Windows with an estimated time left' -Skip:(-not $onWindows) {
            (Wait-Until { @(Get-TcpTimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort).Count -ge 1 }) | Should -BeTrue
            $row = @(Get-TcpTimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort)[0]
            $row.IsEstimated | Should -BeTrue
            $row.RemainingSeconds | Should -BeGreaterThan 0
            $row.RemainingSeconds | Should -BeLessOrEqual 300
        }
    }

    It 'an abortive close leaves no TIME_WAIT row (Linux)' -Skip:(-not $onLinux) {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        try {
            $null = $pair.Server | Close-TcpConnection -Abort
            $null = Receive-TcpData -Connection $pair.Client -UntilClosed -Timeout 5
            $null = $pair.Client | Close-TcpConnection
            Get-TcpTimeWait -LocalPort $listener.LocalPort | Should -BeNullOrEmpty
            Get-TcpTimeWait -LocalPort $pair.Client.LocalPort | Should -BeNullOrEmpty
        }
        finally {
            Close-TestConnection $pair.Client $pair.Server
        }
    }
}
