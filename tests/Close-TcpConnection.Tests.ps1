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

Describe 'Close-TcpConnection' {
    BeforeEach {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        $client = $pair.Client
        $server = $pair.Server
    }

    AfterEach {
        Close-TestConnection $client $server
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    Context 'A switch passed on as $false' {
        It '-Abort:$false and -HalfClose:$false close gracefully: the peer reads EndOfStream, not a reset' -ForEach @(
            @{ Switch = 'Abort' }, @{ Switch = 'HalfClose' }
        ) {
            $off = @{ $Switch = $false }
            $result = $server | Close-TcpConnection @off
            $result.Style | Should -Be 'Graceful'
            $peer = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
            $peer.EndOfStream | Should -BeTrue
            $peer.Reset | Should -BeFalse
        }
    }

    Context 'Graceful (the default): FIN after the queued data' {
        It 'closes at once; the peer reads everything, then EndOfStream' {
            $null = Send-TcpData -Connection $server -Text 'last words'
            $result = $server | Close-TcpConnection

            $result | Should -BeOfType 'TcpClose.CloseResult'
            $result.ConnectionId | Should -Be $server.Id
            $result.Style | Should -Be 'Graceful'
            $result.LingerSeconds | Should -BeNullOrEmpty
            $result.ElapsedSeconds | Should -BeLessThan 2
            $result.ClosedAt | Should -BeOfType 'System.DateTime'
            $server.State | Should -Be 'Closed'
            $server.CloseResult.ConnectionId | Should -Be $server.Id

            $peer = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
            $peer.Text | Should -Be 'last words'
            $peer.EndOfStream | Should -BeTrue
            $peer.Reset | Should -BeFalse
        }

        It 'leaves the active closer in FIN_WAIT_2 while the peer is open, then TIME_WAIT with about 60 s once the peer closes (Linux)' -Skip:(-not $onLinux) {
            $result = $server | Close-TcpConnection
            $result.LocalStateObserved | Should -BeTrue
            $result.LocalStateAfter | Should -Be 'FinWait2'

            (Receive-TcpData -Connection $client -UntilClosed -Timeout 5).EndOfStream | Should -BeTrue
            $passive = $client | Close-TcpConnection

            $port = $server.LocalPort
            $clientPort = $client.LocalPort
            (Wait-Until { @(Get-TcpTimeWait -LocalPort $port -RemotePort $clientPort).Count -eq 1 }) | Should -BeTrue
            $row = Get-TcpTimeWait -LocalPort $port -RemotePort $clientPort
            $row.RemainingSeconds | Should -BeGreaterThan 50
            $row.RemainingSeconds | Should -BeLessOrEqual 61

            # The passive closer (the client) leaves no TIME_WAIT.
            (Wait-Until { @(Get-TcpConnection -LocalPort $clientPort -RemotePort $port).Count -eq 0 }) | Should -BeTrue
            $passive.Style | Should -Be 'Graceful'
        }
    }

    Context 'Abort: RST, queued data discarded, no TIME_WAIT' {
        It 'the peer sees Reset, not EndOfStream' {
            $result = $server | Close-TcpConnection -Abort
            $result.Style | Should -Be 'Abort'
            $server.State | Should -Be 'Closed'

            $peer = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
            ($peer.Reset -or $peer.EndOfStream) | Should -BeTrue
            Set-TcpWineSkip "Reset is not shown: the RST reaches the peer's Linux socket (strace: SO_LINGER {1,0}, close, then ECONNRESET in SO_ERROR), but wineserver reads SO_ERROR while polling and clears it, so recv returns 0 and Wine reports end of stream"
            $peer.Reset | Should -BeTrue
            $peer.EndOfStream | Should -BeFalse
        }

        It 'leaves no row at all in the OS table: LocalStateAfter is $null (Linux)' -Skip:(-not $onLinux) {
            Get-SsRow -State all -Port $server.LocalPort -RemotePort $server.RemotePort | Should -HaveCount 1 -Because 'the same ss query finds the row before'
            $result = $server | Close-TcpConnection -Abort
            $result.LocalStateObserved | Should -BeTrue
            $result.LocalStateAfter | Should -BeNullOrEmpty
            # Judged by ss, not by the module's own reader: no row in any state, TIME_WAIT included.
            Get-SsRow -State all -Port $server.LocalPort -RemotePort $server.RemotePort | Should -BeNullOrEmpty
        }

        It 'discards the queued data: the peer gets part of it, then Reset; UnsentBytes says how much was queued (Linux)' -Skip:(-not $onLinux) {
            $sent = Send-TcpData -Connection $server -Size 8MB -Timeout 1
            $sent.TimedOut | Should -BeTrue
            $result = $server | Close-TcpConnection -Abort
            $result.UnsentBytes | Should -BeGreaterThan 0

            $peer = Receive-TcpData -Connection $client -MaxBytes 16MB -UntilClosed -Timeout 10
            $peer.Reset | Should -BeTrue
            $peer.Count | Should -BeLessThan $sent.BytesSent
        }
    }

    Context 'Linger: close waits until data and FIN are ACKed, or N seconds' {
        It 'returns quickly when the peer''s TCP acknowledges, and the peer reads it all' {
            $null = Send-TcpData -Connection $server -Bytes (New-Object byte[] 1000)
            $result = $server | Close-TcpConnection -Linger 5

            $result.Style | Should -Be 'Linger'
            $result.LingerSeconds | Should -Be 5
            $result.LingerTimedOut | Should -BeFalse
            $result.ElapsedSeconds | Should -BeLessThan 2

            $peer = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
            $peer.Count | Should -Be 1000
            $peer.EndOfStream | Should -BeTrue
        }

        It 'blocks about N seconds against a peer that does not read, and Linux still delivers everything' -Skip:(-not $onLinux) {
            $sent = Send-TcpData -Connection $server -Size 8MB -Timeout 1
            $sent.TimedOut | Should -BeTrue

            $result = $server | Close-TcpConnection -Linger 2
            $result.LingerSeconds | Should -Be 2
            $result.ElapsedSeconds | Should -BeGreaterOrEqual 1.9
            $result.ElapsedSeconds | Should -BeLessThan 4
            $result.LingerTimedOut | Should -BeTrue

            # Linux does not discard the data when the linger time runs out (BSD may).
            $peer = Receive-TcpData -Connection $client -MaxBytes 16MB -UntilClosed -Timeout 20
            $peer.EndOfStream | Should -BeTrue
            $peer.Count | Should -Be $sent.BytesSent
        }

        It 'rejects -Linger <Linger> with InvalidLinger' -ForEach @(
            @{ Linger = -1 }
            @{ Linger = 65536 }
        ) {
            { $server | Close-TcpConnection -Linger $Linger -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidLinger,TcpClose.Commands.CloseTcpConnectionCommand'
            $server.State | Should -Be 'Open'
        }
    }

    Context 'HalfClose: FIN, drain until the peer''s FIN, then close' {
        It 'drains what the peer sent and sees its FIN' {
            $null = Send-TcpData -Connection $client -Text 'bye'
            $null = $client | Close-TcpConnection

            $result = $server | Close-TcpConnection -HalfClose -Timeout 5
            $result.Style | Should -Be 'HalfClose'
            $result.PeerFinSeen | Should -BeTrue
            $result.TimedOut | Should -BeFalse
            $result.PeerReset | Should -BeFalse
            $result.BytesDrained | Should -Be 3
            $result.ElapsedSeconds | Should -BeLessThan 5
            $server.State | Should -Be 'Closed'
        }

        It 'times out when the peer never closes; the peer still gets our FIN' {
            $result = $server | Close-TcpConnection -HalfClose -Timeout 0.5
            $result.TimedOut | Should -BeTrue
            $result.PeerFinSeen | Should -BeFalse
            $result.ElapsedSeconds | Should -BeGreaterOrEqual 0.45
            $result.ElapsedSeconds | Should -BeLessThan 3
            $server.State | Should -Be 'Closed'

            (Receive-TcpData -Connection $client -UntilClosed -Timeout 5).EndOfStream | Should -BeTrue
        }

        It 'rejects -Timeout 0 with InvalidTimeout' {
            { $server | Close-TcpConnection -HalfClose -Timeout 0 -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidTimeout,TcpClose.Commands.CloseTcpConnectionCommand'
        }
    }

    Context '-WhatIf, double close and pipelines' {
        It '-WhatIf with <Style> leaves the connection open and data still flows' -ForEach @(
            @{ Style = 'Graceful'; Arguments = @{} }
            @{ Style = 'Abort'; Arguments = @{ Abort = $true } }
            @{ Style = 'Linger'; Arguments = @{ Linger = 1 } }
            @{ Style = 'HalfClose'; Arguments = @{ HalfClose = $true } }
        ) {
            $result = $server | Close-TcpConnection @Arguments -WhatIf
            $result | Should -BeNullOrEmpty
            $server.State | Should -Be 'Open'
            $server.CloseResult | Should -BeNullOrEmpty

            $null = Send-TcpData -Connection $server -Text 'still open'
            $peer = Receive-TcpData -Connection $client -Timeout 5
            $peer.Text | Should -Be 'still open'
            $peer.EndOfStream | Should -BeFalse
        }

        It 'writes a non-terminating ConnectionClosed when closing twice, and changes nothing' {
            $first = $server | Close-TcpConnection
            $second = $server | Close-TcpConnection -Abort -ErrorVariable err -ErrorAction SilentlyContinue

            $second | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be 'ConnectionClosed,TcpClose.Commands.CloseTcpConnectionCommand'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $server.CloseResult.Style | Should -Be 'Graceful'
            $first.Style | Should -Be 'Graceful'
        }

        It 'goes on with the next piped connection after a ConnectionClosed' {
            $null = $server | Close-TcpConnection
            $results = @($server, $client | Close-TcpConnection -Abort -ErrorVariable err -ErrorAction SilentlyContinue)
            $err.Count | Should -Be 1
            $results.Count | Should -Be 1
            $results[0].ConnectionId | Should -Be $client.Id
            $client.State | Should -Be 'Closed'
        }

        It 'closes several connections given to -Connection' {
            $results = Close-TcpConnection -Connection $client, $server -Abort
            @($results).Count | Should -Be 2
            $client.State | Should -Be 'Closed'
            $server.State | Should -Be 'Closed'
        }
    }
}
