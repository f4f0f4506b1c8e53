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
}

Describe 'Get-TcpTimeWait' {
    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'returns nothing for a port without TIME_WAIT' {
        # Held while asked: a listener bound without SO_REUSEADDR and never accepting means no
        # TIME_WAIT row holds 127.0.0.1:port, and none can appear. (Another process's rows on the
        # same port number at another address, e.g. ::1, are not this test's: hence -LocalAddress.)
        $listener = Start-TcpListener
        Get-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort | Should -BeNullOrEmpty
    }

    # Linux has exact timers (60 s fixed); Windows (Wine too) lists the same rows with an estimate
    # (first seen + TcpTimedWaitDelay). Only the tests of the exact time are Linux's; macOS's table
    # source lists no TIME_WAIT.
    Context 'After an active close' {
        BeforeAll {
            # One TIME_WAIT row for the whole context: the server closed first.
            $tw = New-TimeWaitOnServer
            # This connection's rows, by exact 4-tuple: other processes' rows can share the port
            # numbers (IPv4 and IPv6). $passive is the client's side of the same connection.
            $own = $tw.Tuple
            $passive = @{ LocalAddress = $own.RemoteAddress; LocalPort = $own.RemotePort; RemoteAddress = $own.LocalAddress; RemotePort = $own.LocalPort }
        }

        It 'lists the active closer''s side with RemainingSeconds between 50 and 61' -Skip:(-not $onLinux) {
            $rows = @(Get-TcpTimeWait @own)
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

        It 'does not list the passive closer''s side' -Skip:$onMacOS {
            Get-TcpTimeWait @passive | Should -BeNullOrEmpty
        }

        It 'works with Where-Object RemainingSeconds -gt 30' -Skip:$onMacOS {
            $long = @(Get-TcpTimeWait @own | Where-Object RemainingSeconds -gt 30)
            $long.Count | Should -Be 1
            # Longer than the OS's TIME_WAIT: none (Linux 60 s; Windows TcpTimedWaitDelay, 30-300 s).
            $length = if ($TcpTestOnLinux) { 61 } else { (Get-TcpSetting TcpTimedWaitDelay).Value.TotalSeconds + 1 }
            @(Get-TcpTimeWait @own | Where-Object RemainingSeconds -gt $length).Count | Should -Be 0
        }

        It 'filters on -RemoteAddress and -LocalAddress' -Skip:$onMacOS {
            # Other processes' rows may share the port (at any address): the filters are checked on
            # what they keep and on whether this connection's row is among it.
            @(Get-TcpTimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort | Select-TcpTuple $own).Count | Should -Be 1

            $kept = @(Get-TcpTimeWait -LocalPort $tw.Port -LocalAddress 127.0.0.1 -RemoteAddress 127.0.0.1)
            @($kept | Select-TcpTuple $own).Count | Should -Be 1
            $kept | Where-Object { $_.LocalAddress -ne '127.0.0.1' -or $_.RemoteAddress -ne '127.0.0.1' -or $_.LocalPort -ne $tw.Port } |
                Should -BeNullOrEmpty

            $byRemote = @(Get-TcpTimeWait -LocalPort $tw.Port -RemoteAddress '::1')
            @($byRemote | Select-TcpTuple $own).Count | Should -Be 0
            $byRemote | Where-Object RemoteAddress -ne '::1' | Should -BeNullOrEmpty

            $byLocal = @(Get-TcpTimeWait -LocalPort $tw.Port -LocalAddress '::1')
            @($byLocal | Select-TcpTuple $own).Count | Should -Be 0
            $byLocal | Where-Object LocalAddress -ne '::1' | Should -BeNullOrEmpty
        }

        It 'agrees with Get-TcpConnection -State TimeWait' -Skip:(-not $onLinux) {
            $row = Get-TcpConnection -State TimeWait @own
            $row.State | Should -Be 'TimeWait'
            $row.OwningProcess | Should -BeNullOrEmpty
        }

        It 'writes rows that survive Export-Csv' -Skip:$onMacOS {
            $path = Join-Path ([System.IO.Path]::GetTempPath()) ("tcpclose-{0}.csv" -f [guid]::NewGuid())
            try {
                Get-TcpTimeWait @own | Export-Csv -Path $path -NoTypeInformation
                $back = @(Import-Csv -Path $path)
                $back.Count | Should -Be 1
                [double]$back[0].RemainingSeconds | Should -BeGreaterThan 0
                $back[0].LocalAddress | Should -Be $own.LocalAddress
                $back[0].LocalPort | Should -Be "$($tw.Port)"
                $back[0].RemoteAddress | Should -Be $own.RemoteAddress
                $back[0].RemotePort | Should -Be "$($tw.ClientPort)"
                $back[0].State | Should -Be 'TimeWait'
            }
            finally {
                Remove-Item -Path $path -ErrorAction SilentlyContinue
            }
        }

        It 'lists the row on Windows with an estimated time left' -Skip:(-not $onWindows) {
            (Wait-Until { @(Get-TcpTimeWait @own).Count -ge 1 }) | Should -BeTrue
            $row = @(Get-TcpTimeWait @own)[0]
            $row.IsEstimated | Should -BeTrue
            $row.RemainingSeconds | Should -BeGreaterThan 0
            $row.RemainingSeconds | Should -BeLessOrEqual 300
        }
    }

    It 'follows TcpTimedWaitDelay from the registry and keeps a row''s first-seen time across reads (Windows path, run under Wine only: it changes the machine''s TCP settings)' -Skip:(-not $underWine) {
        # By full path: under pwsh-windows a bare 'reg' is not found.
        $reg = Join-Path $env:SystemRoot 'System32\reg.exe'
        $key = 'HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
        $before = @(& $reg query $key /v TcpTimedWaitDelay 2>$null)
        $had = $LASTEXITCODE -eq 0
        try {
            $null = & $reg add $key /v TcpTimedWaitDelay /t REG_DWORD /d 45 /f
            $LASTEXITCODE | Should -Be 0
            $tw = New-TimeWaitOnServer
            $own = $tw.Tuple
            (Wait-Until { @(Get-TcpTimeWait @own).Count -eq 1 }) | Should -BeTrue
            $first = Get-TcpTimeWait @own
            $first.IsEstimated | Should -BeTrue
            $first.RemainingSeconds | Should -BeLessOrEqual 45
            $first.RemainingSeconds | Should -BeGreaterThan 30

            # A later read counts down from the same first sighting: the same ExpiresAt, less left.
            (Wait-Until -TimeoutSeconds 5 {
                    (Get-TcpTimeWait @own).RemainingSeconds -le $first.RemainingSeconds - 1
                }) | Should -BeTrue
            $second = Get-TcpTimeWait @own
            ($second.ExpiresAt - $first.ExpiresAt).Duration().TotalSeconds | Should -BeLessThan 0.5
        }
        finally {
            if ($had -and ("$($before -match 'TcpTimedWaitDelay')" -match '0x([0-9a-fA-F]+)')) {
                $null = & $reg add $key /v TcpTimedWaitDelay /t REG_DWORD /d ([Convert]::ToUInt32($Matches[1], 16)) /f
            }
            else {
                $null = & $reg delete $key /v TcpTimedWaitDelay /f 2>$null
            }
        }
        @(& $reg query $key /v TcpTimedWaitDelay 2>$null) -match 'TcpTimedWaitDelay' | Should -Be @($before -match 'TcpTimedWaitDelay')
    }

    It 'an abortive close leaves no TIME_WAIT row (Linux)' -Skip:(-not $onLinux) {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        # Both sides of THIS connection, by exact 4-tuple: other processes' rows can share a port.
        $serverSide = @{ LocalAddress = $pair.Server.LocalAddress; LocalPort = $pair.Server.LocalPort; RemoteAddress = $pair.Server.RemoteAddress; RemotePort = $pair.Server.RemotePort }
        $clientSide = @{ LocalAddress = $pair.Client.LocalAddress; LocalPort = $pair.Client.LocalPort; RemoteAddress = $pair.Client.RemoteAddress; RemotePort = $pair.Client.RemotePort }
        $serverSide.LocalPort | Should -Be $listener.LocalPort
        $clientSide.RemotePort | Should -Be $listener.LocalPort
        try {
            $null = $pair.Server | Close-TcpConnection -Abort
            $null = Receive-TcpData -Connection $pair.Client -UntilClosed -Timeout 5
            $null = $pair.Client | Close-TcpConnection
            Get-TcpTimeWait @serverSide | Should -BeNullOrEmpty
            Get-TcpTimeWait @clientSide | Should -BeNullOrEmpty
        }
        finally {
            Close-TestConnection $pair.Client $pair.Server
        }
    }
}
