BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
}

Describe 'Remove-Module TcpClose closes everything the session opened' {
    It 'stops the listeners and closes the connections: the peer sees EOF, the sockets leave the table (Linux)' -Skip:(-not $onLinux) {
        # The peer is a plain .NET socket, outside the module, so it outlives the removal.
        $listener = Start-TcpListener -Name 'removed with the module'
        $port = $listener.LocalPort
        $peer = [System.Net.Sockets.Socket]::new([System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Tcp)
        try {
            $peer.Connect('127.0.0.1', $port)
            $server = Wait-TcpConnection -Listener $listener -Timeout 5
            $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $port -Timeout 5
            $fds = [System.IO.Directory]::GetFiles('/proc/self/fd').Count
            $established = { @(Invoke-Ss -Htan state established "( sport = :$port or dport = :$port )").Count }
            & $established | Should -Be 4   # peer and its accepted side, client and its side (queued, not accepted)
            @(Invoke-Ss -Htln "( sport = :$port )").Count | Should -Be 1

            Remove-Module TcpClose

            # The registry is empty and the peer of the accepted connection reads end of stream.
            [TcpClose.TcpRegistry]::Listeners.Count + [TcpClose.TcpRegistry]::Connections.Count | Should -Be 0
            $peer.ReceiveTimeout = 5000
            $buffer = [byte[]]::new(16)
            $peer.Receive($buffer) | Should -Be 0
            # Three sockets of this process fewer: the listener, the accepted one and the client.
            [System.IO.Directory]::GetFiles('/proc/self/fd').Count | Should -BeLessOrEqual ($fds - 3)
            # ss no longer shows the listener, and no connection on the port is established any more
            # (the peer, having read EOF, is in CLOSE_WAIT until it closes).
            @(Invoke-Ss -Htln "( sport = :$port )").Count | Should -Be 0
            & $established | Should -Be 0
            $server.State | Should -Be 'Closed'
            $client.State | Should -Be 'Closed'
        }
        finally {
            $peer.Dispose()
            Import-Module $modulePath -Force
        }
    }
}
