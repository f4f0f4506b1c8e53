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

Describe 'Receive-TcpData' {
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

    It 'returns what arrived, as bytes and as text' {
        $null = Send-TcpData -Connection $client -Text 'ping'
        $result = Receive-TcpData -Connection $server -Timeout 5

        $result | Should -BeOfType 'TcpClose.ReceiveResult'
        $result.ConnectionId | Should -Be $server.Id
        $result.Count | Should -Be 4
        $result.Data.Count | Should -Be 4
        $result.Text | Should -Be 'ping'
        $result.EndOfStream | Should -BeFalse
        $result.Reset | Should -BeFalse
        $result.TimedOut | Should -BeFalse
        $server.BytesReceived | Should -Be 4
    }

    It 'takes the connection from the pipeline' {
        $null = Send-TcpData -Connection $server -Text 'pong'
        ($client | Receive-TcpData -Timeout 5).Text | Should -Be 'pong'
    }

    It 'reads no more than -MaxBytes; the rest waits for the next read' {
        $null = Send-TcpData -Connection $client -Text '0123456789'
        $first = Receive-TcpData -Connection $server -MaxBytes 4 -Timeout 5
        $first.Text | Should -Be '0123'
        $rest = Receive-TcpData -Connection $server -Timeout 5
        $rest.Text | Should -Be '456789'
    }

    It 'reports TimedOut, not an error, when nothing arrives' {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $result = Receive-TcpData -Connection $server -Timeout 0.3 -ErrorVariable err
        $clock.Stop()

        $err | Should -BeNullOrEmpty
        $result.TimedOut | Should -BeTrue
        $result.Count | Should -Be 0
        $result.EndOfStream | Should -BeFalse
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.25
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 3
    }

    It 'reports EndOfStream after the peer''s graceful close, with the data before it (-UntilClosed)' {
        $null = Send-TcpData -Connection $server -Text 'last '
        $null = Send-TcpData -Connection $server -Text 'words'
        $null = $server | Close-TcpConnection -Confirm:$false

        $result = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
        $result.Text | Should -Be 'last words'
        $result.EndOfStream | Should -BeTrue
        $result.Reset | Should -BeFalse
        $result.TimedOut | Should -BeFalse
        $client.PeerFinSeen | Should -BeTrue
    }

    It 'reports Reset after the peer''s abortive close' {
        $null = $server | Close-TcpConnection -Abort -Confirm:$false
        $result = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
        ($result.Reset -or $result.EndOfStream) | Should -BeTrue
        Set-TcpWineSkip "Reset is not shown: the RST reaches the peer's Linux socket (strace: SO_LINGER {1,0}, close, then ECONNRESET in SO_ERROR), but wineserver reads SO_ERROR while polling and clears it, so recv returns 0 and Wine reports end of stream"
        $result.Reset | Should -BeTrue
        $result.EndOfStream | Should -BeFalse
    }

    It 'reports Reset when the peer closed with unread data (RFC 2525: RST instead of FIN)' {
        $null = Send-TcpData -Connection $client -Text 'never read'
        # Reading one byte proves the segment has arrived; the other nine stay unread.
        (Receive-TcpData -Connection $server -MaxBytes 1 -Timeout 5).Count | Should -Be 1
        $null = $server | Close-TcpConnection -Confirm:$false
        $result = Receive-TcpData -Connection $client -UntilClosed -Timeout 5
        ($result.Reset -or $result.EndOfStream) | Should -BeTrue
        Set-TcpWineSkip "Reset is not shown: the RST reaches the peer's Linux socket (strace: SO_LINGER {1,0}, close, then ECONNRESET in SO_ERROR), but wineserver reads SO_ERROR while polling and clears it, so recv returns 0 and Wine reports end of stream"
        $result.Reset | Should -BeTrue
    }

    It 'decodes Text with -Encoding while Data keeps the raw bytes' {
        $null = Send-TcpData -Connection $client -Text 'hi' -Encoding Unicode
        $result = Receive-TcpData -Connection $server -Timeout 5 -Encoding Unicode
        $result.Text | Should -Be 'hi'
        $result.Count | Should -Be 4
    }

    It 'writes a non-terminating ConnectionClosed on a connection this process closed' {
        $null = $server | Close-TcpConnection -Confirm:$false
        $result = Receive-TcpData -Connection $server -Timeout 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'ConnectionClosed,TcpClose.Commands.ReceiveTcpDataCommand'
    }

    It 'rejects -MaxBytes 0 with InvalidCount' {
        { Receive-TcpData -Connection $server -MaxBytes 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidCount,TcpClose.Commands.ReceiveTcpDataCommand'
    }

    It 'rejects -Timeout 0 with InvalidTimeout' {
        { Receive-TcpData -Connection $server -Timeout 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTimeout,TcpClose.Commands.ReceiveTcpDataCommand'
    }
}
