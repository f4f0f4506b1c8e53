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

Describe 'Send-TcpData' {
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

    It 'sends text as UTF-8 without a BOM by default and reports the bytes' {
        $text = "h$([char]0xE9)llo"    # h, e-acute, l, l, o: the e-acute takes two bytes in UTF-8
        $result = Send-TcpData -Connection $client -Text $text

        $result | Should -BeOfType 'TcpClose.SendResult'
        $result.ConnectionId | Should -Be $client.Id
        $result.BytesRequested | Should -Be 6
        $result.BytesSent | Should -Be 6
        $result.TimedOut | Should -BeFalse
        $client.BytesSent | Should -Be 6

        $received = Receive-TcpData -Connection $server -Timeout 5
        $received.Text | Should -Be $text
        $received.Data[0] | Should -Be ([byte][char]'h')
    }

    It 'takes the connection from the pipeline and the text positionally' {
        $result = $client | Send-TcpData 'ping'
        $result.BytesSent | Should -Be 4
        (Receive-TcpData -Connection $server -Timeout 5).Text | Should -Be 'ping'
    }

    It 'encodes text with -Encoding <Encoding> (<Bytes> bytes for "hello")' -ForEach @(
        @{ Encoding = 'UTF8'; Bytes = 5 }
        @{ Encoding = 'ASCII'; Bytes = 5 }
        @{ Encoding = 'Latin1'; Bytes = 5 }
        @{ Encoding = 'Unicode'; Bytes = 10 }
        @{ Encoding = 'BigEndianUnicode'; Bytes = 10 }
        @{ Encoding = 'UTF32'; Bytes = 20 }
    ) {
        (Send-TcpData -Connection $client -Text 'hello' -Encoding $Encoding).BytesSent | Should -Be $Bytes
        $received = Receive-TcpData -Connection $server -Timeout 5 -Encoding $Encoding
        $received.Count | Should -Be $Bytes
        $received.Text | Should -Be 'hello'
    }

    It 'sends raw bytes as they are' {
        $bytes = [byte[]](0x16, 0x03, 0x01, 0x00, 0xff)
        (Send-TcpData -Connection $client -Bytes $bytes).BytesSent | Should -Be 5
        $received = Receive-TcpData -Connection $server -Timeout 5
        $received.Count | Should -Be 5
        ($received.Data -join ',') | Should -Be ($bytes -join ',')
    }

    It 'sends -Size zero bytes' {
        $result = Send-TcpData -Connection $client -Size 100000
        $result.BytesRequested | Should -Be 100000
        $result.BytesSent | Should -Be 100000
        $received = Receive-TcpData -Connection $server -MaxBytes 100000 -UntilClosed -Timeout 2
        $received.Count | Should -Be 100000
        @($received.Data -ne 0).Count | Should -Be 0
    }

    It 'reports TimedOut, not an error, when the peer does not read and the buffers are full (Linux)' -Skip:(-not $onLinux) {
        $result = Send-TcpData -Connection $server -Size 64MB -Timeout 1 -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $result.TimedOut | Should -BeTrue
        $result.BytesSent | Should -BeGreaterThan 0
        $result.BytesSent | Should -BeLessThan $result.BytesRequested
        $result.Elapsed.TotalSeconds | Should -BeLessThan 5
    }

    It 'writes a non-terminating ConnectionClosed after the connection was closed' {
        $null = $client | Close-TcpConnection -Confirm:$false
        $result = Send-TcpData -Connection $client -Text 'late' -ErrorVariable err -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'ConnectionClosed,TcpClose.Commands.SendTcpDataCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
    }

    It 'rejects -Size <Size> with InvalidCount' -ForEach @(
        @{ Size = 0 }
        @{ Size = -1 }
    ) {
        { Send-TcpData -Connection $client -Size $Size -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidCount,TcpClose.Commands.SendTcpDataCommand'
    }

    It 'rejects -Timeout 0 with InvalidTimeout' {
        { Send-TcpData -Connection $client -Text 'x' -Timeout 0 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTimeout,TcpClose.Commands.SendTcpDataCommand'
    }
}
