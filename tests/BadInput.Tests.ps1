BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

BeforeDiscovery {
    # One bad value per parameter per cmdlet, and the id the user gets for it. Where the module
    # checks the value, that is the module's id (Errors.cs). Where PowerShell's binder rejects the
    # value before the cmdlet runs (an enum name that does not exist, a -Encoding outside its
    # ValidateSet, a -Connection/-Listener Id that is not open), the id is PowerShell's and the
    # message names the bad value. Rest: the other arguments the command needs, built when the test
    # runs ($listener, $pair exist then).
    $script:Cases = @(
        @{ Cmdlet = 'Close-TcpConnection'; Parameter = 'Connection'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Rest = { @{ Confirm = $false } } }
        @{ Cmdlet = 'Close-TcpConnection'; Parameter = 'Linger'; Value = -1; Id = 'InvalidLinger'; Rest = { @{ Connection = $pair.Client; Confirm = $false } } }
        @{ Cmdlet = 'Close-TcpConnection'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Rest = { @{ Connection = $pair.Client; HalfClose = $true; Confirm = $false } } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'State'; Value = 'Bogus'; Id = 'CannotConvertArgumentNoMessage'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'OwningProcess'; Value = -1; Id = 'InvalidProcessId'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'LocalPort'; Value = 99999; Id = 'InvalidPort'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'RemoteAddress'; Value = '1.2.3'; Id = 'InvalidAddress'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'RemotePort'; Value = -1; Id = 'InvalidPort'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpListener'; Parameter = 'Name'; Value = 'no such listener'; Id = 'ListenerNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpListener'; Parameter = 'Id'; Value = 999999; Id = 'ListenerNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpPortUsage'; Parameter = 'RemoteAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpPortUsage'; Parameter = 'RemotePort'; Value = 65536; Id = 'InvalidPort'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpSetting'; Parameter = 'Name'; Value = 'net.ipv4.no_such_setting'; Id = 'SettingNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Parameter = 'LocalPort'; Value = 99999; Id = 'InvalidPort'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Parameter = 'RemoteAddress'; Value = '::g'; Id = 'InvalidAddress'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Parameter = 'RemotePort'; Value = -1; Id = 'InvalidPort'; Rest = { @{} } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'RemoteAddress'; Value = '300.1.1.1'; Id = 'InvalidAddress'; Rest = { @{ RemotePort = $listener.LocalPort; Timeout = 2 } } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'RemotePort'; Value = 0; Id = 'InvalidPort'; Rest = { @{ RemoteAddress = '127.0.0.1' } } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'LocalPort'; Value = 70000; Id = 'InvalidPort'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'Receive-TcpData'; Parameter = 'Connection'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Rest = { @{} } }
        @{ Cmdlet = 'Receive-TcpData'; Parameter = 'MaxBytes'; Value = 0; Id = 'InvalidCount'; Rest = { @{ Connection = $pair.Server } } }
        @{ Cmdlet = 'Receive-TcpData'; Parameter = 'Timeout'; Value = -1; Id = 'InvalidTimeout'; Rest = { @{ Connection = $pair.Server } } }
        @{ Cmdlet = 'Receive-TcpData'; Parameter = 'Encoding'; Value = 'EBCDIC'; Id = 'ParameterArgumentValidationError'; Rest = { @{ Connection = $pair.Server } } }
        @{ Cmdlet = 'Send-TcpData'; Parameter = 'Connection'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Rest = { @{ Text = 'x' } } }
        @{ Cmdlet = 'Send-TcpData'; Parameter = 'Encoding'; Value = 'EBCDIC'; Id = 'ParameterArgumentValidationError'; Rest = { @{ Connection = $pair.Client; Text = 'x' } } }
        @{ Cmdlet = 'Send-TcpData'; Parameter = 'Size'; Value = 0; Id = 'InvalidCount'; Rest = { @{ Connection = $pair.Client } } }
        @{ Cmdlet = 'Send-TcpData'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Rest = { @{ Connection = $pair.Client; Text = 'x' } } }
        # -WhatIf on every Remove-TcpConnection case: a bad value must stop it before any row goes,
        # and if one did not, nothing of anyone else's is destroyed.
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'InputObject'; Value = 'not a row'; Id = 'InvalidRow'; Rest = { @{ WhatIf = $true } } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'State'; Value = 'Bogus'; Id = 'CannotConvertArgumentNoMessage'; Rest = { @{ WhatIf = $true } } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Rest = { @{ WhatIf = $true } } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'LocalPort'; Value = 99999; Id = 'InvalidPort'; Rest = { @{ WhatIf = $true } } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'RemoteAddress'; Value = '1.2.3'; Id = 'InvalidAddress'; Rest = { @{ WhatIf = $true } } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'RemotePort'; Value = -1; Id = 'InvalidPort'; Rest = { @{ WhatIf = $true } } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'OwningProcess'; Value = -1; Id = 'InvalidProcessId'; Rest = { @{ WhatIf = $true } } }
        @{ Cmdlet = 'Start-TcpListener'; Parameter = 'Port'; Value = 70000; Id = 'InvalidPort'; Rest = { @{} } }
        @{ Cmdlet = 'Start-TcpListener'; Parameter = 'Address'; Value = 'x.y'; Id = 'InvalidAddress'; Rest = { @{} } }
        @{ Cmdlet = 'Start-TcpListener'; Parameter = 'Backlog'; Value = 0; Id = 'InvalidBacklog'; Rest = { @{} } }
        @{ Cmdlet = 'Stop-TcpListener'; Parameter = 'Listener'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Rest = { @{ Confirm = $false } } }
        @{ Cmdlet = 'Stop-TcpListener'; Parameter = 'Id'; Value = 999999; Id = 'ListenerNotFound'; Rest = { @{ Confirm = $false } } }
        @{ Cmdlet = 'Stop-TcpListener'; Parameter = 'Name'; Value = 'no such listener'; Id = 'ListenerNotFound'; Rest = { @{ Confirm = $false } } }
        @{ Cmdlet = 'Test-TcpBind'; Parameter = 'Port'; Value = 70000; Id = 'InvalidPort'; Rest = { @{} } }
        @{ Cmdlet = 'Test-TcpBind'; Parameter = 'Address'; Value = 'x.y'; Id = 'InvalidAddress'; Rest = { @{ Port = 0 } } }
        @{ Cmdlet = 'Test-TcpPort'; Parameter = 'RemoteAddress'; Value = '300.1.1.1'; Id = 'InvalidAddress'; Rest = { @{ RemotePort = $listener.LocalPort; Timeout = 2 } } }
        @{ Cmdlet = 'Test-TcpPort'; Parameter = 'RemotePort'; Value = 0; Id = 'InvalidPort'; Rest = { @{ RemoteAddress = '127.0.0.1' } } }
        @{ Cmdlet = 'Test-TcpPort'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'Wait-TcpConnection'; Parameter = 'Listener'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Rest = { @{} } }
        @{ Cmdlet = 'Wait-TcpConnection'; Parameter = 'Id'; Value = 999999; Id = 'ListenerNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Wait-TcpConnection'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Rest = { @{ Listener = $listener } } }
        @{ Cmdlet = 'Wait-TcpTimeWait'; Parameter = 'LocalPort'; Value = 70000; Id = 'InvalidPort'; Rest = { @{} } }
        @{ Cmdlet = 'Wait-TcpTimeWait'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Rest = { @{ LocalPort = $listener.LocalPort } } }
        @{ Cmdlet = 'Wait-TcpTimeWait'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Rest = { @{ LocalPort = $listener.LocalPort } } }
    )

    # Parameters where every value of their type is good: no case above, and said why here.
    $script:NoBadValue = @{
        'Send-TcpData -Text'       = 'any text, the empty string too, is data to send'
        'Send-TcpData -Bytes'      = 'any bytes, none too, are data to send'
        'Start-TcpListener -Name'  = 'any text names a listener'
    }
}

Describe 'Every parameter''s bad value gives a stable error id' {
    BeforeAll {
        $listener = Start-TcpListener
        $pair = New-TestPair $listener
    }
    AfterAll {
        Close-TestConnection $pair.Client $pair.Server
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It '<Cmdlet> -<Parameter> <Value> is <Id>' -TestCases $Cases {
        $arguments = & $Rest
        $arguments[$Parameter] = $Value
        $err = { & $Cmdlet @arguments -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,TcpClose.Commands.$($Cmdlet -replace '-', '')Command"
        $err.Exception.Message | Should -BeLike "*$Value*"
        if ($Id -notlike 'Parameter*' -and $Id -ne 'CannotConvertArgumentNoMessage') {
            # The module's ids name their category: Invalid* is a bad argument, *NotFound a missing object.
            $category = if ($Id -like 'Invalid*') { 'InvalidArgument' } else { 'ObjectNotFound' }
            $Id | Should -BeLike $(if ($category -eq 'InvalidArgument') { 'Invalid*' } else { '*NotFound' })
            $err.CategoryInfo.Category | Should -Be $category
            $err.TargetObject | Should -Not -BeNullOrEmpty
        }
    }

    It 'has a case for every parameter of every cmdlet the module exports' -TestCases @(
        @{ Covered = @($Cases | ForEach-Object { "$($_.Cmdlet) -$($_.Parameter)" }) + @($NoBadValue.Keys) }
    ) {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $covered = $Covered
        $missing = foreach ($command in Get-Command -Module TcpClose) {
            foreach ($p in $command.Parameters.Values) {
                if ($p.Name -in $common -or $p.ParameterType -eq [switch]) { continue }
                if ("$($command.Name) -$($p.Name)" -notin $covered) { "$($command.Name) -$($p.Name)" }
            }
        }
        $missing | Should -BeNullOrEmpty -Because 'each parameter needs a bad-value case in BadInput.Tests.ps1 (or a reason in NoBadValue)'
    }
}
