BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # A second runspace in this process, with the module imported: the same assembly, so the same
    # registry, and the objects of this runspace bind there. [powershell]::Stop() is what Ctrl+C does.
    $script:Runspace = [runspacefactory]::CreateRunspace()
    $script:Runspace.Open()
    $import = [powershell]::Create()
    $import.Runspace = $script:Runspace
    $null = $import.AddCommand('Import-Module').AddArgument($modulePath).Invoke()
    $import.Dispose()

    $script:StopBound = 5

    function Get-FdCount {
        if ($TcpTestOnLinux) { [System.IO.Directory]::GetFiles('/proc/self/fd').Count } else { $null }
    }

    # Starts the command in the second runspace and returns once it runs; the caller stops it.
    function Start-Blocking([string] $Command, [hashtable] $Parameters) {
        $ps = [powershell]::Create()
        $ps.Runspace = $script:Runspace
        $null = $ps.AddCommand($Command).AddParameters($Parameters)
        $null = $ps.BeginInvoke()
        (Wait-Until { "$($ps.InvocationStateInfo.State)" -eq 'Running' }) | Should -BeTrue
        # Nothing outside the cmdlet shows that it reached its wait; give it time to get there.
        # The test does not depend on it: a stop before the wait must end the command as well.
        Start-Sleep -Milliseconds 300
        "$($ps.InvocationStateInfo.State)" | Should -Be 'Running' -Because "$Command blocks until stopped"
        $ps
    }

    # Stops it, as Ctrl+C would, and says how long Stop() took and how the command ended.
    function Stop-Blocking($ps) {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $clock.Stop()
        [pscustomobject]@{
            Seconds = $clock.Elapsed.TotalSeconds
            State   = "$($ps.InvocationStateInfo.State)"
        }
        $ps.Dispose()
    }
}
AfterAll {
    if ($script:Runspace) { $script:Runspace.Dispose() }
    Get-TcpListener | Stop-TcpListener -Confirm:$false
    Remove-Module TcpClose -ErrorAction SilentlyContinue
}

BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $onMacOS = [bool](Get-Variable -Name IsMacOS -ValueOnly -ErrorAction SilentlyContinue)
}

# Every blocked command here would wait 60 s or more on its own; Stop() must end it long before.
# The bound is loose on purpose (a loaded 2-core CI machine stalls a process for whole seconds):
# what it tells apart is "stopped" from "ran out its wait". Measured on a quiet machine: well
# under 1 s each.
Describe '[powershell]::Stop() ends every blocking cmdlet long before its own wait and leaves no socket behind' {
    BeforeEach {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
    }
    AfterEach {
        Close-TestConnection $pair.Client $pair.Server
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'Wait-TcpConnection: the listener keeps listening, nothing was accepted' {
        $fds = Get-FdCount
        $connections = [TcpClose.TcpRegistry]::Connections.Count
        $ps = Start-Blocking 'Wait-TcpConnection' @{ Listener = $listener; Timeout = 60 }
        $stopped = Stop-Blocking $ps
        $stopped.State | Should -Be 'Stopped'
        $stopped.Seconds | Should -BeLessThan $StopBound
        $listener.State | Should -Be 'Listening'
        [TcpClose.TcpRegistry]::Connections.Count | Should -Be $connections
        if ($TcpTestOnLinux) { Get-FdCount | Should -BeLessOrEqual $fds }
    }

    It 'Receive-TcpData: the connection stays open and usable' {
        $fds = Get-FdCount
        $ps = Start-Blocking 'Receive-TcpData' @{ Connection = $pair.Server; Timeout = 60 }
        $stopped = Stop-Blocking $ps
        $stopped.State | Should -Be 'Stopped'
        $stopped.Seconds | Should -BeLessThan $StopBound
        $pair.Server.State | Should -Be 'Open'
        $null = Send-TcpData -Connection $pair.Client -Text 'after'
        (Receive-TcpData -Connection $pair.Server -Timeout 5).Text | Should -Be 'after'
        if ($TcpTestOnLinux) { Get-FdCount | Should -BeLessOrEqual $fds }
    }

    It 'Close-TcpConnection -HalfClose: the connection is closed and its socket released' {
        $fds = Get-FdCount
        $ps = Start-Blocking 'Close-TcpConnection' @{ Connection = $pair.Server; HalfClose = $true; Timeout = 60; Confirm = $false }
        $stopped = Stop-Blocking $ps
        $stopped.State | Should -Be 'Stopped'
        $stopped.Seconds | Should -BeLessThan $StopBound
        $pair.Server.State | Should -Be 'Closed'
        [TcpClose.TcpRegistry]::FindConnection($pair.Server.Id) | Should -BeNullOrEmpty
        if ($TcpTestOnLinux) { (Wait-Until { (Get-FdCount) -le $fds - 1 }) | Should -BeTrue }
    }

    It 'Close-TcpConnection -Linger with unacknowledged data: the connection is closed and its socket released (Linux)' -Skip:(-not $onLinux) {
        # Fill the client's receive buffer and the server's send buffer: the client never reads, so
        # a lingering close() of the server waits for an ACK that does not come.
        $sent = Send-TcpData -Connection $pair.Server -Size 64MB -Timeout 1
        $sent.TimedOut | Should -BeTrue
        $fds = Get-FdCount
        $ps = Start-Blocking 'Close-TcpConnection' @{ Connection = $pair.Server; Linger = 60; Confirm = $false }
        $stopped = Stop-Blocking $ps
        $stopped.State | Should -Be 'Stopped'
        $stopped.Seconds | Should -BeLessThan $StopBound
        $pair.Server.State | Should -Be 'Closed'
        [TcpClose.TcpRegistry]::FindConnection($pair.Server.Id) | Should -BeNullOrEmpty
        (Wait-Until { (Get-FdCount) -le $fds - 1 }) | Should -BeTrue
    }

    It 'Wait-TcpTimeWait on a real TIME_WAIT row: the wait ends, no socket is left' -Skip:$onMacOS {
        # macOS's table source lists no TIME_WAIT; Linux and Windows (Wine too) do.
        $tw = New-TimeWaitOnServer
        $tuple = $tw.Tuple
        @(Get-TcpTimeWait @tuple).Count | Should -Be 1 -Because 'the wait must meet a row to wait for'
        $fds = Get-FdCount
        $ps = Start-Blocking 'Wait-TcpTimeWait' @{ LocalPort = $tw.Port; LocalAddress = $tw.Tuple.LocalAddress; Timeout = 90 }
        $stopped = Stop-Blocking $ps
        $stopped.State | Should -Be 'Stopped'
        $stopped.Seconds | Should -BeLessThan $StopBound
        if ($TcpTestOnLinux) { Get-FdCount | Should -BeLessOrEqual $fds }
    }
}
