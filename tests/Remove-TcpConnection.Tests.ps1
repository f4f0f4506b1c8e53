BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')

    # Every row removed here is one of this file's own, named by its exact 4-tuple: the TCP table is
    # shared with other test runs on the machine. ss judges whether one is left (Get-SsRow).

    $canRemove = $TcpTestOnLinux -and (id -u) -eq '0'
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $onMacOS = [bool](Get-Variable -Name IsMacOS -ValueOnly -ErrorAction SilentlyContinue)
    $onWindows = -not ($onLinux -or $onMacOS)
    # SOCK_DESTROY needs CAP_NET_ADMIN: the removal tests run as root (as here and in CI's container).
    $asRoot = $onLinux -and (id -u) -eq '0'
    $hasSetpriv = $asRoot -and [bool](Get-Command setpriv -ErrorAction SilentlyContinue)
    # Bound sockets that do not listen are in netlink dumps from Linux 6.9 on.
    $listsBound = $asRoot -and [Environment]::OSVersion.Version -ge [version]'6.9'
}

Describe 'Remove-TcpConnection' {
    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'refuses to run without rows or a filter: FilterRequired, nothing removed' -Skip:($onMacOS) {
        { Remove-TcpConnection -Confirm:$false } | Should -Throw -ErrorId 'FilterRequired,TcpClose.Commands.RemoveTcpConnectionCommand'
        $err = $null
        try { Remove-TcpConnection -Confirm:$false } catch { $err = $_ }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'Get-TcpTimeWait -LocalPort 8080 \| Remove-TcpConnection'
    }

    It 'does nothing downstream of a pipeline that wrote nothing (no FilterRequired)' -Skip:($onMacOS) {
        # Held while asked, and at 127.0.0.1 only: a row of another process that shares the port
        # number (at ::1, say) must never reach Remove-TcpConnection.
        $listener = Start-TcpListener
        $out = Get-TcpTimeWait -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort | Remove-TcpConnection -Confirm:$false -ErrorVariable errs
        $out | Should -BeNullOrEmpty
        $errs | Should -BeNullOrEmpty
    }

    It 'writes InvalidRow, non-terminating, for an object that names no row, and goes on' -Skip:($onMacOS) {
        $out = 'not a row', ([pscustomobject]@{ LocalAddress = 'bogus'; LocalPort = 1; RemoteAddress = '127.0.0.1'; RemotePort = 2 }) |
            Remove-TcpConnection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errs
        $out | Should -BeNullOrEmpty
        $errs.Count | Should -Be 2
        $errs[0].FullyQualifiedErrorId | Should -Be 'InvalidRow,TcpClose.Commands.RemoveTcpConnectionCommand'
        $errs[1].FullyQualifiedErrorId | Should -Be 'InvalidAddress,TcpClose.Commands.RemoveTcpConnectionCommand'
        $errs[1].Exception.Message | Should -Match 'bogus'
    }

    It 'refuses a row read on another computer (PSComputerName): InvalidRow, nothing removed here' -Skip:($onMacOS) {
        $row = [pscustomobject]@{ LocalAddress = '127.0.0.1'; LocalPort = 1; RemoteAddress = '127.0.0.1'; RemotePort = 2; State = 'TimeWait'; PSComputerName = 'web01.example.invalid' }
        $out = $row | Remove-TcpConnection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errs
        $out | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be 'InvalidRow,TcpClose.Commands.RemoveTcpConnectionCommand'
        $errs[0].Exception.Message | Should -Match 'Invoke-Command -ComputerName web01\.example\.invalid'
        $row.PSComputerName = 'localhost'
        ($row | Remove-TcpConnection -Confirm:$false).Outcome | Should -Be 'AlreadyGone'
    }

    It 'is PlatformNotSupported on macOS' -Skip:(-not $onMacOS) {
        { Remove-TcpConnection -LocalPort 1 -Confirm:$false } | Should -Throw -ErrorId 'PlatformNotSupported,*'
    }

    Context 'TIME_WAIT rows of a restarted server (Linux, root)' {
        BeforeEach {
            $tw = New-TimeWaitOnServer
        }

        It 'removes them, and a listener without -ReuseAddress then binds the port' -Skip:(-not $asRoot) {
            { Start-TcpListener -Port $tw.Port } | Should -Throw -ErrorId 'AddressInUse,*'
            Get-SsRow -State time-wait -Port $tw.Port -RemotePort $tw.ClientPort | Should -HaveCount 1 -Because 'the same ss query finds the row before'

            $results = @(Get-TcpTimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort | Remove-TcpConnection -Confirm:$false)

            $results.Count | Should -Be 1
            $results[0] | Should -BeOfType 'TcpClose.RemovalResult'
            $results[0].Removed | Should -BeTrue
            $results[0].Outcome | Should -Be 'Removed'
            $results[0].State | Should -Be 'TimeWait'
            $results[0].LocalPort | Should -Be $tw.Port
            $results[0].RemotePort | Should -Be $tw.ClientPort
            $results[0].ErrorId | Should -BeNullOrEmpty
            Get-SsRow -State time-wait -Port $tw.Port -RemotePort $tw.ClientPort | Should -BeNullOrEmpty
            $restarted = Start-TcpListener -Port $tw.Port
            $restarted.ReuseAddress | Should -BeFalse
            $restarted.State | Should -Be 'Listening'
        }

        It '-WhatIf names the row and removes nothing: the row is still in ss' -Skip:(-not $asRoot) {
            # What-if lines go to the host, not to a stream: read them from a child PowerShell's output.
            $module = Join-Path (Get-Module TcpClose).ModuleBase 'TcpClose.psd1'
            $pwsh = Get-TcpTestPowerShell
            $script = "Import-Module '$module'; Get-TcpTimeWait -LocalPort $($tw.Port) -RemotePort $($tw.ClientPort) | Remove-TcpConnection -WhatIf | ForEach-Object { 'result' }; Remove-TcpConnection -LocalPort $($tw.Port) -RemotePort $($tw.ClientPort) -WhatIf | ForEach-Object { 'result' }"
            $said = @(& $pwsh -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" })

            $target = "What if: Performing the operation ""Remove TIME_WAIT row"" on target ""127.0.0.1:$($tw.Port) -> 127.0.0.1:$($tw.ClientPort) (TimeWait)""."
            @($said | Where-Object { $_ -eq $target }).Count | Should -Be 2
            $said | Should -Not -Contain 'result'
            (Get-SsRow -State time-wait -Port $tw.Port -RemotePort $tw.ClientPort).Count | Should -Be 1
            $null = Remove-TcpConnection -LocalPort $tw.Port -RemotePort $tw.ClientPort -State TimeWait -Confirm:$false
        }

        It 'reports a row already gone as AlreadyGone, not as an error' -Skip:(-not $asRoot) {
            $row = Get-TcpTimeWait -LocalPort $tw.Port -RemotePort $tw.ClientPort
            ($row | Remove-TcpConnection -Confirm:$false).Outcome | Should -Be 'Removed'

            $again = $row | Remove-TcpConnection -Confirm:$false -ErrorVariable errs

            $again.Outcome | Should -Be 'AlreadyGone'
            $again.Removed | Should -BeFalse
            $again.ErrorId | Should -BeNullOrEmpty
            $errs | Should -BeNullOrEmpty
        }

        It 'takes deserialized rows (remoting, Import-Clixml) and CSV rows' -Skip:(-not $asRoot) {
            $row = Get-TcpConnection -LocalPort $tw.Port -RemotePort $tw.ClientPort -State TimeWait
            $deserialized = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($row))
            $deserialized.PSObject.TypeNames[0] | Should -Be 'Deserialized.TcpClose.TcpTableEntry'
            $path = Join-Path ([System.IO.Path]::GetTempPath()) ("tcpclose-{0}.csv" -f [guid]::NewGuid())
            try {
                $row | Export-Csv -Path $path -NoTypeInformation
                $fromCsv = Import-Csv -Path $path
            }
            finally {
                Remove-Item -Path $path -ErrorAction SilentlyContinue
            }

            Get-SsRow -State time-wait -Port $tw.Port -RemotePort $tw.ClientPort | Should -HaveCount 1 -Because 'the same ss query finds the row before'
            $results = @($deserialized, $fromCsv | Remove-TcpConnection -Confirm:$false)

            $results.Outcome | Should -Be @('Removed', 'AlreadyGone')
            Get-SsRow -State time-wait -Port $tw.Port -RemotePort $tw.ClientPort | Should -BeNullOrEmpty
        }

        It 'without root (setpriv to nobody): PermissionDenied, and the row is still there' -Skip:(-not $hasSetpriv) {
            $said = Invoke-TcpAsUser -Script "try { Remove-TcpConnection -LocalPort $($tw.Port) -RemotePort $($tw.ClientPort) -Confirm:`$false | ForEach-Object { 'result ' + `$_.Outcome + ' ' + `$_.ErrorId } } catch { 'error ' + `$_.FullyQualifiedErrorId + ' ' + `$_.CategoryInfo.Category + ' ' + `$_.Exception.Message }"
            if ($null -eq $said) {
                Set-ItResult -Skipped -Because $TcpNoUserPowerShell
                return
            }

            $said | Should -Contain 'result Failed PermissionDenied'
            ($said -match '^error ') | Should -Match '^error PermissionDenied,TcpClose\.Commands\.RemoveTcpConnectionCommand PermissionDenied .*CAP_NET_ADMIN'
            (Get-SsRow -State time-wait -Port $tw.Port -RemotePort $tw.ClientPort).Count | Should -Be 1
            $null = Remove-TcpConnection -LocalPort $tw.Port -RemotePort $tw.ClientPort -State TimeWait -Confirm:$false
        }

        It 'shows results in a table that fits 80 columns' -Skip:(-not $asRoot) {
            $text = Remove-TcpConnection -LocalPort $tw.Port -RemotePort $tw.ClientPort -Confirm:$false | Format-Table | Out-String -Width 300
            $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() })
            $lines[0] | Should -Match '^LocalAddress\s+LPort\s+RemoteAddress\s+RPort\s+State\s+Outcome\s*$'
            $lines[2] | Should -Match "^127\.0\.0\.1\s+$($tw.Port)\s+127\.0\.0\.1\s+$($tw.ClientPort)\s+TimeWait\s+Removed\s*$"
            $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
        }
    }

    It 'removes an established connection: the owner''s next call fails and the peer sees Reset' -Skip:(-not $asRoot) {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        try {
            Get-SsRow -State all -Port $listener.LocalPort -RemotePort $pair.Client.LocalPort | Should -HaveCount 1 -Because 'the same ss query finds the row before'
            $result = Remove-TcpConnection -LocalPort $listener.LocalPort -RemotePort $pair.Client.LocalPort -State Established -Confirm:$false

            $result.Outcome | Should -Be 'Removed'
            $result.State | Should -Be 'Established'
            (Receive-TcpData -Connection $pair.Client -Timeout 5).Reset | Should -BeTrue
            { Send-TcpData -Connection $pair.Server -Text 'x' -ErrorAction Stop } | Should -Throw -ErrorId 'ConnectionAborted,TcpClose.Commands.SendTcpDataCommand'
            Get-SsRow -State all -Port $listener.LocalPort -RemotePort $pair.Client.LocalPort | Should -BeNullOrEmpty
        }
        finally {
            Close-TestConnection $pair.Client $pair.Server
        }
    }

    It 'removes a listener on a kernel-picked port: its owner can accept no more, and the port is released' -Skip:(-not $asRoot) {
        $listener = Start-TcpListener
        # At 127.0.0.1 only: another process's listener can share the port number at ::1.
        $row = Get-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $listener.LocalPort -State Listen
        @($row).Count | Should -Be 1
        $row.OwningProcess | Should -Be $PID
        Get-SsRow -State listening -Port $listener.LocalPort | Should -HaveCount 1

        $result = $row | Remove-TcpConnection -Confirm:$false

        $result.Outcome | Should -Be 'Removed'
        $result.State | Should -Be 'Listen'
        $result.PortReleased | Should -BeTrue
        $result.Note | Should -BeNullOrEmpty
        $err = { Wait-TcpConnection -Listener $listener -Timeout 1 -ErrorAction Stop } | Should -Throw -ErrorId 'ListenerStopped,TcpClose.Commands.WaitTcpConnectionCommand' -PassThru
        $err.Exception.Message | Should -BeLike '*destroyed from outside this session*'
        Get-SsRow -State listening -Port $listener.LocalPort | Should -BeNullOrEmpty
        $again = Start-TcpListener -Port $listener.LocalPort
        $again.State | Should -Be 'Listening'
    }

    It 'removes a listener on an explicit port of another process: the port stays bound until that process closes it, and every answer says so (root, Linux 6.9+)' -Skip:(-not $listsBound) {
        $work = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-bound-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $work | Out-Null
        $probe = Start-TcpListener
        $port = $probe.LocalPort
        $probe | Stop-TcpListener
        # The other process: a listener bound to that port by number, until its stop file appears (60 s at most).
        $script = "Import-Module '$(Join-Path (Get-Module TcpClose).ModuleBase 'TcpClose.psd1')'; `$l = Start-TcpListener -Port $port; " +
            "Set-Content -LiteralPath '$work/ready' -Value `$PID; `$end = [DateTime]::UtcNow.AddSeconds(60); " +
            "while (-not (Test-Path -LiteralPath '$work/stop') -and [DateTime]::UtcNow -lt `$end) { Start-Sleep -Milliseconds 50 }; `$l | Stop-TcpListener"
        $child = Start-Process -FilePath (Get-TcpTestPowerShell) -ArgumentList '-NoProfile', '-NonInteractive', '-Command', $script -PassThru `
            -RedirectStandardOutput "$work/out" -RedirectStandardError "$work/err"
        try {
            (Wait-Until { Test-Path -LiteralPath "$work/ready" } -TimeoutSeconds 30) | Should -BeTrue -Because (Get-Content -Raw "$work/err" -ErrorAction Ignore)
            Get-SsRow -State listening -Port $port | Should -HaveCount 1

            $result = Get-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $port -State Listen | Remove-TcpConnection -Confirm:$false -WarningVariable warned 3>$null

            $result.Outcome | Should -Be 'Removed'
            $result.PortReleased | Should -BeFalse
            $result.Note | Should -Match "^Port $port stays bound: process $($child.Id) \(pwsh\) still holds the socket"
            "$warned" | Should -Be $result.Note
            Get-SsRow -State listening -Port $port | Should -BeNullOrEmpty
            $bound = Get-TcpConnection -LocalAddress 127.0.0.1 -LocalPort $port -State Bound
            $bound.OwningProcess | Should -Be $child.Id
            $err = { Start-TcpListener -Port $port -ErrorAction Stop } | Should -Throw -ErrorId 'AddressInUse,TcpClose.Commands.StartTcpListenerCommand' -PassThru
            $err.Exception.Message | Should -Match "bound to it and not listening holds it: 127\.0\.0\.1:$port owned by process $($child.Id) \(pwsh\)"
            $test = Test-TcpBind -Port $port
            $test.CanBind | Should -BeFalse
            $test.BlockedBy.State | Should -Contain 'Bound'
            $test.Advice | Should -Match "process $($child.Id)"

            # The owner closes the socket (Stop-TcpListener) and exits: now the port is free.
            Set-Content -LiteralPath "$work/stop" -Value 'stop'
            $child.WaitForExit(30000) | Should -BeTrue
            $restarted = Start-TcpListener -Port $port
            $restarted.LocalPort | Should -Be $port
        }
        finally {
            if (-not $child.HasExited) { $child.Kill(); $child.WaitForExit(10000) | Out-Null }
            Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    It 'on Windows says Removed only when the row left the table (Wine''s SetTcpEntry answers success and does nothing)' -Skip:(-not $onWindows) {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
        try {
            $row = Get-TcpConnection -LocalPort $listener.LocalPort -RemotePort $pair.Client.LocalPort -State Established
            $result = $null
            try {
                $row | Remove-TcpConnection -Confirm:$false -ErrorAction SilentlyContinue -OutVariable result | Out-Null
            }
            catch {
                $_.FullyQualifiedErrorId | Should -BeLike 'PermissionDenied,*' # not elevated: terminating
            }
            @($result).Count | Should -Be 1
            if ($TcpTestUnderWine) {
                # Wine's SetTcpEntry answers success and removes nothing: the module must see through it.
                $result[0].Outcome | Should -Be 'Failed'
                $result[0].ErrorId | Should -Be 'RemoveFailed'
                # Judged by Linux's own table (Wine shows it under Z:), not by the module's reader.
                $linux = @(Get-Content -LiteralPath 'Z:\proc\net\tcp' | Select-Object -Skip 1 | Where-Object {
                        $f = $_.Trim() -split '\s+'
                        [Convert]::ToInt32(($f[1] -split ':')[1], 16) -eq $listener.LocalPort -and
                        [Convert]::ToInt32(($f[2] -split ':')[1], 16) -eq $pair.Client.LocalPort -and $f[3] -eq '01'
                    })
                $linux.Count | Should -Be 1 -Because 'the established row is still in /proc/net/tcp'
            }
            else {
                $still = @(Get-NetTCPConnection -LocalPort $listener.LocalPort -RemotePort $pair.Client.LocalPort -State Established -ErrorAction SilentlyContinue).Count
                if ($result[0].Removed) { $still | Should -Be 0 } else { $still | Should -Be 1; $result[0].ErrorId | Should -BeIn 'RemoveFailed', 'PermissionDenied' }
            }
        }
        finally {
            Close-TestConnection $pair.Client $pair.Server
        }
    }

    It 'says RemoveIPv6NotSupported for an IPv6 row on Windows' -Skip:(-not $onWindows) {
        $row = [pscustomobject]@{ LocalAddress = '::1'; LocalPort = 1; RemoteAddress = '::1'; RemotePort = 2; State = 'Established' }
        $result = $row | Remove-TcpConnection -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable errs
        $result.Outcome | Should -Be 'Failed'
        $result.ErrorId | Should -Be 'RemoveIPv6NotSupported'
        $errs[0].FullyQualifiedErrorId | Should -Be 'RemoveIPv6NotSupported,TcpClose.Commands.RemoveTcpConnectionCommand'
    }
}
