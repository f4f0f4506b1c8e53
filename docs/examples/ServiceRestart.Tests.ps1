<#
.SYNOPSIS
A Pester 5 suite that restarts a TCP service on the same port and checks that it comes back.
Copy it, and replace the greeting service below with your own.

.DESCRIPTION
The service under test is a child PowerShell process that listens with Start-TcpListener,
greets each client with "hello from <its PID>" and closes the connection first, as many servers do
after a response. Closing first puts the service's side of each connection in TIME_WAIT (60 s on
Linux), and that is what gets in the way of a restart on the same port.

The suite stops the service and starts it again, and asserts what an administrator would check:

* Without -ReuseAddress (SO_REUSEADDR) the new process cannot listen while the old connection's
  TIME_WAIT lasts: Start-TcpListener fails with AddressInUse (Linux and macOS; Windows' bind
  ignores TIME_WAIT).
* After Remove-TcpConnection clears that TIME_WAIT row (Linux, as root), the restart works.
* With -ReuseAddress on the old and the new listener, the restart works at once.
* Test-TcpPort -Wait sees the new process answer, and Get-TcpConnection names it (its PID) as the
  owner of the listening port.

Run it with:

    Invoke-Pester -Path ./ServiceRestart.Tests.ps1 -Output Detailed

It imports TcpClose by name (from $env:PSModulePath), or the manifest that TCPCLOSE_MODULE_PATH
names (the TcpClose repository's build sets it). Loopback only. The service stops when its stop file
appears, as a service stops on a stop request: it stops its listener and exits. Every process the
suite starts is stopped that way by AfterAll at the latest (killed only if it does not stop within
20 s, with a warning), and Pester removes its TestDrive folder.
#>

BeforeDiscovery {
    # -Skip: values are read while Pester discovers the tests, before BeforeAll runs.
    # ($IsWindows does not exist in Windows PowerShell 5.1, which only runs on Windows.)
    $onWindows = $PSVersionTable.PSEdition -eq 'Desktop' -or $IsWindows
}

BeforeAll {
    $ModulePath = if ($env:TCPCLOSE_MODULE_PATH) { $env:TCPCLOSE_MODULE_PATH } else { 'TcpClose' }
    Import-Module $ModulePath -Force
    $ProgressPreference = 'SilentlyContinue' # Test-TcpPort -Wait shows a progress bar otherwise

    # Wine, as Wine documents it: its ntdll exports wine_get_version, Windows' does not.
    $UnderWine = $false
    if ($IsWindows -and ('System.Runtime.InteropServices.NativeLibrary' -as [type])) {
        $ntdll = [IntPtr]::Zero; $export = [IntPtr]::Zero
        $UnderWine = [System.Runtime.InteropServices.NativeLibrary]::TryLoad('ntdll.dll', [ref]$ntdll) -and
            [System.Runtime.InteropServices.NativeLibrary]::TryGetExport($ntdll, 'wine_get_version', [ref]$export)
    }

    # The service: a script file, started as its own process. In your suite this is your service's
    # start command (a systemd unit, a container, Start-Service...).
    $ServiceScript = Join-Path $TestDrive 'GreetingService.ps1'
    Set-Content -LiteralPath $ServiceScript -Value {
        param(
            [Parameter(Mandatory)] [string] $ModulePath,
            [Parameter(Mandatory)] [int] $Port,
            [Parameter(Mandatory)] [string] $StopFile,
            [Parameter(Mandatory)] [string] $LogFile,
            [switch] $ReuseAddress
        )
        $ErrorActionPreference = 'Stop'
        Import-Module $ModulePath

        try {
            $listener = Start-TcpListener -Address 127.0.0.1 -Port $Port -ReuseAddress:$ReuseAddress
        }
        catch {
            # Say why in its log (the suite reads the error id there) and exit with a code of its own.
            Add-Content -LiteralPath $LogFile -Value "$($_.FullyQualifiedErrorId): $($_.Exception.Message)"
            exit 3
        }
        Add-Content -LiteralPath $LogFile -Value "listening on port $Port with ReuseAddress $($listener.ReuseAddress)"

        # Serve until the stop file appears: wait for clients a quarter of a second at a time and look
        # for it in between. (Your service's stop request may be a signal, a message, a service stop.)
        while (-not (Test-Path -LiteralPath $StopFile)) {
            $connection = Wait-TcpConnection -Listener $listener -Timeout 0.25 -ErrorAction SilentlyContinue
            if (-not $connection) { continue }
            try {
                $null = Send-TcpData -Connection $connection -Text "hello from $PID`n"
                # The service closes first: its side of the connection goes to TIME_WAIT.
                $null = $connection | Close-TcpConnection -Confirm:$false
            }
            catch {
                # Test-TcpPort's probes connect and reset at once: a failed send is no reason to stop.
                $null = $connection | Close-TcpConnection -Abort -Confirm:$false -ErrorAction SilentlyContinue
            }
        }
        # A clean stop: the listener closes and the process exits by itself.
        $listener | Stop-TcpListener -Confirm:$false
        Add-Content -LiteralPath $LogFile -Value 'stopped'
        exit 0
    }.ToString()

    # Every service process this suite starts, so AfterAll can stop what is left; and every client
    # visit (its 4-tuple), so AfterAll can clear the TIME_WAIT rows the service kept of them.
    $Services = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()
    $Visits = [System.Collections.Generic.List[object]]::new()

    function Start-GreetingService {
        # Starts the service in a new process of this same PowerShell; returns the process.
        param([int] $Port, [switch] $ReuseAddress)

        $name = Join-Path $TestDrive "service-$($Services.Count)"
        # The PowerShell in $PSHOME (pwsh, pwsh.exe; powershell.exe on Windows PowerShell), not this
        # process's path: under pwsh installed as a .NET tool (`dotnet pwsh`) that is `dotnet`.
        $exe = if ($PSVersionTable.PSEdition -eq 'Desktop') { 'powershell.exe' } elseif ($IsWindows) { 'pwsh.exe' } else { 'pwsh' }
        $arguments = @('-NoProfile', '-NonInteractive', '-File', $ServiceScript, '-ModulePath', $ModulePath,
            '-Port', $Port, '-StopFile', "$name.stop", '-LogFile', "$name.log")
        if ($ReuseAddress) { $arguments += '-ReuseAddress' }
        # In the background, without a window of its own (UseShellExecute off; Start-Process would
        # open a new console on Windows, where Wine runs nothing). The service writes its own log.
        $start = [System.Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME $exe))
        foreach ($argument in $arguments) { $start.ArgumentList.Add("$argument") }
        $start.UseShellExecute = $false
        $start.CreateNoWindow = $true
        $process = [System.Diagnostics.Process]::Start($start)
        $Services.Add($process)
        # Its log, for the checks below, and the file that asks it to stop.
        $process | Add-Member -NotePropertyName Log -NotePropertyValue "$name.log"
        $process | Add-Member -NotePropertyName StopFile -NotePropertyValue "$name.stop" -PassThru
    }

    function Stop-GreetingService {
        # Asks the service to stop (creates its stop file) and waits until the process is gone:
        # its listener is then closed. Only a service that does not stop within 20 s is killed.
        param([System.Diagnostics.Process] $Process)

        if ($Process.HasExited) { return }
        $null = New-Item -ItemType File -Path $Process.StopFile -Force
        if (-not $Process.WaitForExit(20000)) {
            Write-Warning "The service (PID $($Process.Id)) did not stop within 20 s of its stop file; killing it."
            Stop-Process -Id $Process.Id -Force
            $null = $Process.WaitForExit(10000)
        }
    }

    function Get-Greeting {
        # One client visit: connect, read until the service closes, then close our side.
        param([int] $Port)

        $client = New-TcpConnection -RemoteAddress 127.0.0.1 -RemotePort $Port -Timeout 10
        try {
            $reply = Receive-TcpData -Connection $client -UntilClosed -Timeout 10
        }
        finally {
            $null = $client | Close-TcpConnection -Confirm:$false
        }
        $visit = [pscustomobject]@{ Port = $Port; ClientPort = $client.LocalPort; Text = $reply.Text.Trim(); ServiceClosedFirst = $reply.EndOfStream }
        $Visits.Add($visit)
        $visit
    }

    function Get-FreePort {
        # A port that is free now: the OS picks it for a listener that is stopped at once (it
        # accepted nothing, so it leaves no TIME_WAIT). Your suite uses your service's port instead.
        $listener = Start-TcpListener -Address 127.0.0.1 -Port 0
        $listener | Stop-TcpListener -Confirm:$false
        $listener.LocalPort
    }
}

AfterAll {
    # Nothing left behind, whatever failed: stop every service process still running.
    foreach ($process in $Services) {
        Stop-GreetingService $process
        $process.Dispose()
    }
    # Where we may (Linux, as root), clear the TIME_WAIT rows of our own visits, by exact 4-tuple;
    # elsewhere they go by themselves within a minute or two.
    if ((Get-Command Remove-TcpConnection -ErrorAction SilentlyContinue) -and $IsLinux -and (id -u) -eq '0') {
        foreach ($visit in $Visits) {
            $null = Get-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $visit.Port -RemoteAddress 127.0.0.1 -RemotePort $visit.ClientPort |
                Remove-TcpConnection -Confirm:$false
        }
    }
    Remove-Module TcpClose -ErrorAction SilentlyContinue
}

Describe 'Restarting a TCP service on the same port' {

    # Linux and macOS only: on Windows a bind does not check TIME_WAIT, so this restart just works.
    Context 'The service does not set -ReuseAddress' -Skip:$onWindows {
        BeforeAll {
            # Each context has a port of its own: TIME_WAIT rows left by a listener without
            # SO_REUSEADDR would block even a -ReuseAddress listener on the same port.
            $Port = Get-FreePort
            $old = Start-GreetingService -Port $Port
            Test-TcpPort -RemoteAddress 127.0.0.1 -RemotePort $Port -Wait -Timeout 60 -ErrorAction Stop
            $visit = Get-Greeting -Port $Port
            Stop-GreetingService $old
        }

        It 'served a client and closed first, so its side of the connection is in TIME_WAIT' {
            $visit.Text | Should -Be "hello from $($old.Id)"
            $visit.ServiceClosedFirst | Should -BeTrue
            $old.ExitCode | Should -Be 0 -Because 'the service stopped when asked (it was not killed)'
            $row = Get-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $Port -RemoteAddress 127.0.0.1 -RemotePort $visit.ClientPort
            @($row).Count | Should -Be 1
        }

        It 'cannot restart while that TIME_WAIT lasts: the new process fails with AddressInUse' {
            $new = Start-GreetingService -Port $Port
            $new.WaitForExit(60000) | Should -BeTrue -Because 'a service that cannot listen exits'

            $new.ExitCode | Should -Be 3
            Get-Content -LiteralPath $new.Log -Raw |
                Should -Match '^AddressInUse,TcpClose\.Commands\.StartTcpListenerCommand'
            # Nothing listens: the restart really failed.
            (Test-TcpPort -RemoteAddress 127.0.0.1 -RemotePort $Port).Result | Should -Be 'Refused'
        }

        It 'restarts once Remove-TcpConnection has cleared the TIME_WAIT row' {
            if (-not (Get-Command Remove-TcpConnection -ErrorAction SilentlyContinue)) {
                Set-ItResult -Skipped -Because 'this version of TcpClose has no Remove-TcpConnection'
            }
            if (-not $IsLinux -or (id -u) -ne '0') {
                Set-ItResult -Skipped -Because 'removing TIME_WAIT rows needs Linux and root (CAP_NET_ADMIN); wait them out with Wait-TcpTimeWait instead'
            }

            $removed = Get-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $Port -RemoteAddress 127.0.0.1 -RemotePort $visit.ClientPort |
                Remove-TcpConnection -Confirm:$false
            $removed.Outcome | Should -Be 'Removed'
            Get-TcpTimeWait -LocalPort $Port | Should -BeNullOrEmpty

            $new = Start-GreetingService -Port $Port
            Test-TcpPort -RemoteAddress 127.0.0.1 -RemotePort $Port -Wait -Timeout 60 -ErrorAction Stop
            (Get-Greeting -Port $Port).Text | Should -Be "hello from $($new.Id)"
            (Get-TcpConnection -LocalPort $Port -State Listen).OwningProcess | Should -Be $new.Id
            Stop-GreetingService $new
        }
    }

    Context 'The service sets -ReuseAddress (old and new listener alike)' {
        BeforeAll {
            $Port = Get-FreePort
            $old = Start-GreetingService -Port $Port -ReuseAddress
            Test-TcpPort -RemoteAddress 127.0.0.1 -RemotePort $Port -Wait -Timeout 60 -ErrorAction Stop
            $visit = Get-Greeting -Port $Port
            Stop-GreetingService $old

            $new = Start-GreetingService -Port $Port -ReuseAddress
        }

        AfterAll {
            if ($new) { Stop-GreetingService $new }
        }

        It 'restarts at once, while the old connection is still in TIME_WAIT' {
            $answer = Test-TcpPort -RemoteAddress 127.0.0.1 -RemotePort $Port -Wait -Timeout 60
            $answer.Result | Should -Be 'Connected'
            $new.HasExited | Should -BeFalse
            $old.ExitCode | Should -Be 0 -Because 'the old service stopped when asked (it was not killed)'

            $row = Get-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $Port -RemoteAddress 127.0.0.1 -RemotePort $visit.ClientPort
            @($row).Count | Should -Be 1 -Because 'the restart went through over the old TIME_WAIT row'
        }

        It 'answers from the new process' {
            $visit.Text | Should -Be "hello from $($old.Id)"
            (Get-Greeting -Port $Port).Text | Should -Be "hello from $($new.Id)"
        }

        It 'is the owner of the listening port in the TCP table' {
            $listening = Get-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $Port -State Listen
            @($listening).Count | Should -Be 1
            # Only where the platform names no owner is this skipped: macOS's table source has no
            # PIDs, and Wine (not a real Windows) reports PID 0 on every row. Everywhere else an
            # empty owner is a failure.
            if ($IsMacOS) {
                Set-ItResult -Skipped -Because 'macOS''s TCP table source names no owning process'
                return
            }
            if ($UnderWine) {
                Set-ItResult -Skipped -Because 'Wine reports PID 0 as the owner of every row'
                return
            }
            $listening.OwningProcess | Should -Be $new.Id
        }
    }
}
