BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # What Tab offers at the end of a command line, as the console's TabExpansion2 computes it.
    function Get-Completion([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches)
    }
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

Describe 'Tab completion of this session''s listeners and connections' {
    BeforeAll {
        # A known session: only this test's listeners and connections are open.
        Get-TcpListener | Stop-TcpListener -Confirm:$false
        [TcpClose.TcpRegistry]::Connections | ForEach-Object { $_.Dispose() }
        $web = Start-TcpListener -Name 'web front'
        $api = Start-TcpListener -Name 'api' -Address '::1'
        $plain = Start-TcpListener
        $pair = New-TestPair $web
        $ids = @($web.Id, $api.Id, $plain.Id | ForEach-Object { "$_" })
        $connectionIds = @($pair.Client.Id, $pair.Server.Id | ForEach-Object { "$_" })
    }
    AfterAll {
        Close-TestConnection $pair.Client $pair.Server
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'completes listener Ids for <Line>' -ForEach @(
        @{ Line = 'Stop-TcpListener -Id ' }
        @{ Line = 'Get-TcpListener -Id ' }
        @{ Line = 'Wait-TcpConnection -Id ' }
        @{ Line = 'Wait-TcpConnection -Listener ' }
        @{ Line = 'Wait-TcpConnection ' }
        @{ Line = 'Stop-TcpListener -Listener ' }
    ) {
        $found = Get-Completion $Line
        @($found.CompletionText) | Should -Be $ids
        $first = $found | Where-Object CompletionText -eq "$($web.Id)"
        $first.ListItemText | Should -Be "$($web.Id) web front 127.0.0.1:$($web.LocalPort) Listening"
        $first.ToolTip | Should -Be "Listener $($web.Id) web front 127.0.0.1:$($web.LocalPort) Listening"
        ($found | Where-Object CompletionText -eq "$($api.Id)").ListItemText | Should -Be "$($api.Id) api [::1]:$($api.LocalPort) Listening"
    }

    It 'completes listener names, quoting the one with a space, for <Line>' -ForEach @(
        @{ Line = 'Stop-TcpListener -Name ' }
        @{ Line = 'Get-TcpListener -Name ' }
        @{ Line = 'Get-TcpListener ' }
    ) {
        @((Get-Completion $Line).CompletionText) | Should -Be @("'web front'", 'api')
    }

    It 'completes a name from what was typed: <Line>' -ForEach @(
        @{ Line = 'Get-TcpListener -Name we'; Expected = "'web front'" }
        @{ Line = "Get-TcpListener -Name 'we"; Expected = "'web front'" }
        @{ Line = 'Stop-TcpListener -Name A'; Expected = 'api' }
        @{ Line = 'Wait-TcpConnection -Listener a'; Expected = 'api' }
    ) {
        @((Get-Completion $Line).CompletionText) | Should -Be @($Expected)
    }

    It 'completes connection Ids for <Line>' -ForEach @(
        @{ Line = 'Close-TcpConnection -Connection ' }
        @{ Line = 'Close-TcpConnection ' }
        @{ Line = 'Send-TcpData -Connection ' }
        @{ Line = 'Receive-TcpData ' }
    ) {
        $found = Get-Completion $Line
        @($found.CompletionText) | Should -Be $connectionIds
        $client = $pair.Client
        ($found | Where-Object CompletionText -eq "$($client.Id)").ListItemText |
            Should -Be "$($client.Id) Client 127.0.0.1:$($client.LocalPort) -> 127.0.0.1:$($web.LocalPort) Open"
    }

    It 'completes only what the typed digits start with' {
        $line = "Get-TcpListener -Id $($api.Id)"
        @((Get-Completion $line).CompletionText) | Should -Contain "$($api.Id)"
        @((Get-Completion $line).CompletionText) | Should -Not -Contain "$($web.Id)"
    }

    It 'what Tab completes binds: an Id for -Connection, an Id or a name for -Listener' {
        (Send-TcpData -Connection $pair.Client.Id -Text 'ping').BytesSent | Should -Be 4
        (Receive-TcpData $pair.Server.Id -Timeout 5).Text | Should -Be 'ping'
        $client = New-TcpConnection -RemoteAddress '::1' -RemotePort $api.LocalPort -Timeout 5
        try {
            $server = Wait-TcpConnection -Listener api -Timeout 5
            $server.ListenerId | Should -Be $api.Id
            (Close-TcpConnection $server.Id -Abort -Confirm:$false).Style | Should -Be 'Abort'
        }
        finally {
            Close-TestConnection $client
        }
        # A quoted number is a name, and no listener has that name.
        { Stop-TcpListener -Listener "$($plain.Id)" -Confirm:$false } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,*'
        $stopped = Stop-TcpListener -Listener $plain.Id -PassThru -Confirm:$false
        $stopped.Id | Should -Be $plain.Id
    }

    It 'an Id that is not open is a clear binding error naming it' {
        $err = { Close-TcpConnection -Connection 999999 -Confirm:$false } |
            Should -Throw -ErrorId 'ParameterArgumentTransformationError,TcpClose.Commands.CloseTcpConnectionCommand' -PassThru
        $err.Exception.Message | Should -BeLike '*No open connection has Id 999999*'
        $err = { Wait-TcpConnection -Listener 'no such name' -Timeout 1 } |
            Should -Throw -ErrorId 'ParameterArgumentTransformationError,*' -PassThru
        $err.Exception.Message | Should -BeLike "*No running listener is named 'no such name'*"
    }
}
