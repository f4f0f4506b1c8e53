BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

BeforeDiscovery {
    # -Skip: and -ForEach are evaluated while Pester discovers the tests, before any BeforeAll runs.
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
}

Describe 'Test-TcpPort' {
    BeforeAll {
        $ProgressPreference = 'SilentlyContinue'
    }

    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'reports a listening port as Connected, probing localhost by default' {
        $listener = Start-TcpListener
        $result = Test-TcpPort -RemotePort $listener.LocalPort

        $result | Should -BeOfType 'TcpClose.PortTestResult'
        $result.ComputerName | Should -Be 'localhost'
        $result.RemoteAddress | Should -Be '127.0.0.1'
        $result.RemotePort | Should -Be $listener.LocalPort
        $result.Result | Should -Be 'Connected'
        $result.Succeeded | Should -BeTrue
        $result.LocalAddress | Should -Be '127.0.0.1'
        $result.LocalPort | Should -BeGreaterThan 0
        $result.Attempts | Should -Be 1
        $result.Elapsed | Should -BeOfType [timespan]
        $result.ElapsedSeconds | Should -Be $result.Elapsed.TotalSeconds
    }

    It 'reports a port nobody listens on as Refused: a result, not an error' {
        $port = Get-FreeTcpPort
        $result = Test-TcpPort 127.0.0.1 $port -ErrorVariable err

        $err | Should -BeNullOrEmpty
        $result.Result | Should -Be 'Refused'
        $result.Succeeded | Should -BeFalse
        $result.Error | Should -Be 'ConnectionRefused'
    }

    It 'finds a service that listens on ::1 only when given localhost' {
        $listener = Start-TcpListener -Address '::1'
        $result = Test-TcpPort localhost $listener.LocalPort
        $result.Result | Should -Be 'Connected'
        $result.RemoteAddress | Should -Be '::1'
    }

    It 'shows each address it tried with -Verbose' {
        $port = Get-FreeTcpPort
        $verbose = Test-TcpPort localhost $port -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $messages = @($verbose | ForEach-Object Message)
        $messages.Count | Should -Be 2
        $messages[0] | Should -BeLike "127.0.0.1:${port}: Refused after * ms*" # "from <local end>" where the OS reports one
        $messages[1].StartsWith("[::1]:${port}: Refused") | Should -BeTrue
    }

    Context 'Targets from the pipeline' {
        It 'takes a listener through its LocalAddress and LocalPort' {
            $listener = Start-TcpListener -Address '::1'
            $result = $listener | Test-TcpPort
            $result.RemoteAddress | Should -Be '::1'
            $result.RemotePort | Should -Be $listener.LocalPort
            $result.Result | Should -Be 'Connected'
        }

        It 'takes ComputerName and Port, one result per target' {
            $listener = Start-TcpListener
            $free = Get-FreeTcpPort
            $results = @(
                [pscustomobject]@{ ComputerName = '127.0.0.1'; Port = $listener.LocalPort }
                [pscustomobject]@{ ComputerName = '127.0.0.1'; Port = $free }
            ) | Test-TcpPort

            $results.Count | Should -Be 2
            $results[0].Result | Should -Be 'Connected'
            $results[1].Result | Should -Be 'Refused'
            $results[1].RemotePort | Should -Be $free
        }

        It 'takes a table row through its RemoteAddress and RemotePort (the server a client talks to)' {
            $listener = Start-TcpListener
            $pair = New-TestPair $listener
            try {
                $row = Get-TcpConnection -LocalPort $pair.Client.LocalPort -RemotePort $listener.LocalPort
                $result = $row | Test-TcpPort
                $result.RemotePort | Should -Be $listener.LocalPort
                $result.Result | Should -Be 'Connected'
            }
            finally {
                Close-TestConnection $pair.Client $pair.Server
            }
        }

        It 'says how to probe a Listen row, whose RemotePort is 0' {
            $listener = Start-TcpListener
            $row = Get-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort -State Listen
            $row | Test-TcpPort -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'InvalidPort,TcpClose.Commands.TestTcpPortCommand'
            $err[0].Exception.Message | Should -Match 'LocalPort'
        }
    }

    It 'leaves no row of the probe''s 4-tuple on either side, where a graceful close leaves TIME_WAIT (Linux)' -Skip:(-not $onLinux) {
        $listener = Start-TcpListener
        $port = $listener.LocalPort
        foreach ($i in 1..3) {
            $probe = Test-TcpPort 127.0.0.1 $port
            $server = Wait-TcpConnection -Listener $listener -Timeout 5
            # The server reads the probe's RST: both ends have processed it now.
            (Receive-TcpData -Connection $server -UntilClosed -Timeout 5).Reset | Should -BeTrue
            Close-TestConnection $server

            # Judged by ss where there is one (Linux), not by the module's own reader.
            if ($TcpTestOnLinux) {
                Get-SsRow -State all -Port $probe.LocalPort -RemotePort $port | Should -BeNullOrEmpty
                Get-SsRow -State all -Port $port -RemotePort $probe.LocalPort | Should -BeNullOrEmpty
            }
            else {
                Get-TcpConnection -LocalPort $probe.LocalPort -RemotePort $port | Should -BeNullOrEmpty
                Get-TcpConnection -LocalPort $port -RemotePort $probe.LocalPort | Should -BeNullOrEmpty
            }
        }

        # Control: a client that closes first, gracefully, is left in TIME_WAIT, and the same ss
        # query that found none of the probes' rows finds it.
        $pair = New-TestPair $listener
        $null = $pair.Client | Close-TcpConnection -Confirm:$false
        $null = Receive-TcpData -Connection $pair.Server -UntilClosed -Timeout 5
        $null = $pair.Server | Close-TcpConnection -Confirm:$false
        Wait-Until { @(Get-TcpTimeWait -LocalPort $pair.Client.LocalPort -RemotePort $port).Count -eq 1 } | Should -BeTrue
        if ($TcpTestOnLinux) {
            Get-SsRow -State all -Port $pair.Client.LocalPort -RemotePort $port | Should -HaveCount 1
        }
    }

    Context '-Wait' {
        It 'returns at once when the port already answers' {
            $listener = Start-TcpListener
            $result = Test-TcpPort -RemotePort $listener.LocalPort -Wait -Timeout 10
            $result.Result | Should -Be 'Connected'
            $result.Attempts | Should -Be 1
        }

        It 'sees a listener that starts while it waits' {
            $port = Get-FreeTcpPort
            # The "service": another runspace of this process starts listening half a second later.
            $service = [powershell]::Create()
            try {
                $null = $service.AddScript({
                        param($ModulePath, $Port)
                        Import-Module $ModulePath
                        Start-Sleep -Milliseconds 500
                        Start-TcpListener -Port $Port
                    }).AddParameters(@{ ModulePath = (Get-Module TcpClose).Path; Port = $port })
                $started = $service.BeginInvoke()

                $result = Test-TcpPort -RemotePort $port -Wait -Timeout 20
                $result.Result | Should -Be 'Connected'
                $result.Attempts | Should -BeGreaterThan 1
                $result.ElapsedSeconds | Should -BeGreaterThan 0.4
            }
            finally {
                $service.EndInvoke($started) | Stop-TcpListener -Confirm:$false
                $service.Dispose()
            }
        }

        It 'writes PortNotAnswering after -Timeout, and still outputs the last result' {
            $port = Get-FreeTcpPort
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $result = Test-TcpPort -RemotePort $port -Wait -Timeout 1 -ErrorVariable err -ErrorAction SilentlyContinue
            $clock.Stop()

            $result.Result | Should -Be 'Refused'
            $result.Attempts | Should -BeGreaterThan 1
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -Be 'PortNotAnswering,TcpClose.Commands.TestTcpPortCommand'
            $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
            $err[0].TargetObject.RemotePort | Should -Be $port
            $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.9
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        }

        It 'stops the script with -ErrorAction Stop' {
            $port = Get-FreeTcpPort
            { Test-TcpPort -RemotePort $port -Wait -Timeout 0.5 -ErrorAction Stop } |
                Should -Throw -ErrorId 'PortNotAnswering,TcpClose.Commands.TestTcpPortCommand'
        }

        It 'ends promptly when stopped (Ctrl+C)' {
            $port = Get-FreeTcpPort
            $waiter = [powershell]::Create()
            try {
                $null = $waiter.AddScript({
                        param($ModulePath, $Port)
                        Import-Module $ModulePath
                        Test-TcpPort -RemotePort $Port -Wait -Timeout 60
                    }).AddParameters(@{ ModulePath = (Get-Module TcpClose).Path; Port = $port })
                $null = $waiter.BeginInvoke()
                # Waiting for real: a progress record follows each attempt that found the port closed.
                Wait-Until -TimeoutSeconds 10 { $waiter.Streams.Progress.Count -gt 0 } | Should -BeTrue

                $clock = [System.Diagnostics.Stopwatch]::StartNew()
                $waiter.Stop()
                $clock.Stop()

                $waiter.InvocationStateInfo.State | Should -Be 'Stopped'
                $clock.Elapsed.TotalSeconds | Should -BeLessThan 3
            }
            finally {
                $waiter.Dispose()
            }
        }
    }

    It 'rejects <Case> with <Id>' -ForEach @(
        @{ Case = '-RemotePort 70000'; Arguments = @{ RemotePort = 70000 }; Id = 'InvalidPort' }
        @{ Case = '-RemotePort 0'; Arguments = @{ RemotePort = 0 }; Id = 'InvalidPort' }
        @{ Case = "-RemoteAddress 'no-such-host.invalid'"; Arguments = @{ RemoteAddress = 'no-such-host.invalid'; RemotePort = 80 }; Id = 'InvalidAddress' }
        @{ Case = '-Timeout 0'; Arguments = @{ RemotePort = 80; Timeout = 0 }; Id = 'InvalidTimeout' }
        @{ Case = '-Wait -Timeout -1'; Arguments = @{ RemotePort = 80; Timeout = -1; Wait = $true }; Id = 'InvalidTimeout' }
    ) {
        { Test-TcpPort @Arguments -ErrorAction Stop } |
            Should -Throw -ErrorId "$Id,TcpClose.Commands.TestTcpPortCommand"
    }

    It 'names the bad value: <Case>' -ForEach @(
        @{ Case = 'port 70000'; Arguments = @{ RemotePort = 70000 }; Text = '70000' }
        @{ Case = 'an unresolvable name'; Arguments = @{ RemoteAddress = 'no-such-host.invalid'; RemotePort = 80 }; Text = 'no-such-host.invalid' }
    ) {
        Test-TcpPort @Arguments -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].Exception.Message | Should -BeLike "*$Text*"
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'shows one line per result in a table that fits 80 columns' {
        $listener = Start-TcpListener -Address '::1'
        $results = @(Test-TcpPort ::1 $listener.LocalPort; Test-TcpPort 127.0.0.1 (Get-FreeTcpPort))
        $lines = @(($results | Out-String -Width 300) -split '\r?\n' | Where-Object { $_.Trim() })

        $lines.Count | Should -Be 4 # header, dashes, two rows
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        $lines[0] | Should -Match 'RemoteAddress\s+RemotePort\s+Result\s+ElapsedSeconds\s+LocalPort'
        $lines[2] | Should -Match "^::1\s+$($listener.LocalPort)\s+Connected\s"
        $lines[3] | Should -Match '\sRefused\s'
    }

    It 'has full help: synopsis, every parameter described, examples' {
        $help = Get-Help Test-TcpPort -Full
        $help.Description | Out-String | Should -Match 'TIME_WAIT'
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($name in 'RemoteAddress', 'RemotePort', 'Timeout', 'Wait') {
            $parameter = $help.Parameters.Parameter | Where-Object Name -EQ $name
            ($parameter.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$name needs a description"
        }
    }
}
