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
        @{ Cmdlet = 'Close-TcpConnection'; Parameter = 'Connection'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Category = 'InvalidData'; Rest = { @{} } }
        @{ Cmdlet = 'Close-TcpConnection'; Parameter = 'Linger'; Value = -1; Id = 'InvalidLinger'; Category = 'InvalidArgument'; Rest = { @{ Connection = $pair.Client } } }
        @{ Cmdlet = 'Close-TcpConnection'; Parameter = 'Linger'; Value = 70000; Id = 'InvalidLinger'; Category = 'InvalidArgument'; Rest = { @{ Connection = $pair.Client } } }
        @{ Cmdlet = 'Close-TcpConnection'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Category = 'InvalidArgument'; Rest = { @{ Connection = $pair.Client; HalfClose = $true } } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'State'; Value = 'Bogus'; Id = 'CannotConvertArgumentNoMessage'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'OwningProcess'; Value = -1; Id = 'InvalidProcessId'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'LocalPort'; Value = 99999; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'RemoteAddress'; Value = '1.2.3'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpConnection'; Parameter = 'RemotePort'; Value = -1; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpListener'; Parameter = 'Name'; Value = 'no such listener'; Id = 'ListenerNotFound'; Category = 'ObjectNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpListener'; Parameter = 'Id'; Value = 999999; Id = 'ListenerNotFound'; Category = 'ObjectNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpPortUsage'; Parameter = 'RemoteAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpPortUsage'; Parameter = 'RemotePort'; Value = 65536; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpSetting'; Parameter = 'Name'; Value = 'net.ipv4.no_such_setting'; Id = 'SettingNotFound'; Category = 'ObjectNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Parameter = 'LocalPort'; Value = 99999; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Parameter = 'RemoteAddress'; Value = '::g'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Parameter = 'RemotePort'; Value = -1; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'RemoteAddress'; Value = '300.1.1.1'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{ RemotePort = $listener.LocalPort; Timeout = 2 } } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'RemotePort'; Value = 0; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{ RemoteAddress = '127.0.0.1' } } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'LocalPort'; Value = 70000; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'New-TcpConnection'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Category = 'InvalidArgument'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'Receive-TcpData'; Parameter = 'Connection'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Category = 'InvalidData'; Rest = { @{} } }
        @{ Cmdlet = 'Receive-TcpData'; Parameter = 'MaxBytes'; Value = 0; Id = 'InvalidCount'; Category = 'InvalidArgument'; Rest = { @{ Connection = $pair.Server } } }
        @{ Cmdlet = 'Receive-TcpData'; Parameter = 'Timeout'; Value = -1; Id = 'InvalidTimeout'; Category = 'InvalidArgument'; Rest = { @{ Connection = $pair.Server } } }
        @{ Cmdlet = 'Receive-TcpData'; Parameter = 'Encoding'; Value = 'EBCDIC'; Id = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Rest = { @{ Connection = $pair.Server } } }
        @{ Cmdlet = 'Send-TcpData'; Parameter = 'Connection'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Category = 'InvalidData'; Rest = { @{ Text = 'x' } } }
        @{ Cmdlet = 'Send-TcpData'; Parameter = 'Encoding'; Value = 'EBCDIC'; Id = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Rest = { @{ Connection = $pair.Client; Text = 'x' } } }
        @{ Cmdlet = 'Send-TcpData'; Parameter = 'Size'; Value = 0; Id = 'InvalidCount'; Category = 'InvalidArgument'; Rest = { @{ Connection = $pair.Client } } }
        @{ Cmdlet = 'Send-TcpData'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Category = 'InvalidArgument'; Rest = { @{ Connection = $pair.Client; Text = 'x' } } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'InputObject'; Value = 'not a row'; Id = 'InvalidRow'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'State'; Value = 'Bogus'; Id = 'CannotConvertArgumentNoMessage'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'LocalPort'; Value = 99999; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'RemoteAddress'; Value = '1.2.3'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'RemotePort'; Value = -1; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Remove-TcpConnection'; Parameter = 'OwningProcess'; Value = -1; Id = 'InvalidProcessId'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Start-TcpListener'; Parameter = 'Port'; Value = 70000; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Start-TcpListener'; Parameter = 'Address'; Value = 'x.y'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Start-TcpListener'; Parameter = 'Name'; Value = ' '; Id = 'InvalidName'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Start-TcpListener'; Parameter = 'Backlog'; Value = 0; Id = 'InvalidBacklog'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Stop-TcpListener'; Parameter = 'Listener'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Category = 'InvalidData'; Rest = { @{} } }
        @{ Cmdlet = 'Stop-TcpListener'; Parameter = 'Id'; Value = 999999; Id = 'ListenerNotFound'; Category = 'ObjectNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Stop-TcpListener'; Parameter = 'Name'; Value = 'no such listener'; Id = 'ListenerNotFound'; Category = 'ObjectNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Test-TcpBind'; Parameter = 'Port'; Value = 70000; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Test-TcpBind'; Parameter = 'Address'; Value = 'x.y'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{ Port = 0 } } }
        @{ Cmdlet = 'Test-TcpPort'; Parameter = 'RemoteAddress'; Value = '300.1.1.1'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{ RemotePort = $listener.LocalPort; Timeout = 2 } } }
        @{ Cmdlet = 'Test-TcpPort'; Parameter = 'RemotePort'; Value = 0; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{ RemoteAddress = '127.0.0.1' } } }
        @{ Cmdlet = 'Test-TcpPort'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Category = 'InvalidArgument'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'Wait-TcpConnection'; Parameter = 'Listener'; Value = 999999; Id = 'ParameterArgumentTransformationError'; Category = 'InvalidData'; Rest = { @{} } }
        @{ Cmdlet = 'Wait-TcpConnection'; Parameter = 'Id'; Value = 999999; Id = 'ListenerNotFound'; Category = 'ObjectNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Wait-TcpConnection'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Category = 'InvalidArgument'; Rest = { @{ Listener = $listener } } }
        @{ Cmdlet = 'Wait-TcpTimeWait'; Parameter = 'LocalPort'; Value = 70000; Id = 'InvalidPort'; Category = 'InvalidArgument'; Rest = { @{} } }
        @{ Cmdlet = 'Wait-TcpTimeWait'; Parameter = 'LocalAddress'; Value = 'x.y'; Id = 'InvalidAddress'; Category = 'InvalidArgument'; Rest = { @{ LocalPort = $listener.LocalPort } } }
        @{ Cmdlet = 'Wait-TcpTimeWait'; Parameter = 'Timeout'; Value = 0; Id = 'InvalidTimeout'; Category = 'InvalidArgument'; Rest = { @{ LocalPort = $listener.LocalPort } } }
    )

    # -NetworkNamespace: text of no namespace form is refused before anything is read (Linux); other
    # OSes have no namespaces and say so. Get-TcpNetworkNamespace's filters that match nothing.
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $nsId, $nsCategory = if ($onLinux) { 'InvalidNetworkNamespace', 'InvalidArgument' } else { 'PlatformNotSupported', 'NotImplemented' }
    $notFound, $notFoundCategory = if ($onLinux) { 'NetworkNamespaceNotFound', 'ObjectNotFound' } else { 'PlatformNotSupported', 'NotImplemented' }
    $script:Cases += @(
        @{ Cmdlet = 'Get-TcpConnection'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpTimeWait'; Rest = { @{} } }
        @{ Cmdlet = 'Wait-TcpTimeWait'; Rest = { @{ LocalPort = $listener.LocalPort } } }
        @{ Cmdlet = 'Get-TcpPortUsage'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpSetting'; Rest = { @{} } }
        @{ Cmdlet = 'Test-TcpBind'; Rest = { @{ Port = 0 } } }
        @{ Cmdlet = 'Test-TcpPort'; Rest = { @{ RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'Remove-TcpConnection'; Rest = { @{ State = 'TimeWait' } } }
        @{ Cmdlet = 'Start-TcpListener'; Rest = { @{} } }
        @{ Cmdlet = 'New-TcpConnection'; Rest = { @{ RemoteAddress = '127.0.0.1'; RemotePort = $listener.LocalPort } } }
        @{ Cmdlet = 'Get-TcpStatistic'; Rest = { @{} } }
    ) | ForEach-Object { $_ + @{ Parameter = 'NetworkNamespace'; Value = 'net:abc'; Id = $nsId; Category = $nsCategory } }
    $script:Cases += @(
        @{ Cmdlet = 'Get-TcpNetworkNamespace'; Parameter = 'Name'; Value = 'no-such-namespace'; Id = $notFound; Category = $notFoundCategory; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpNetworkNamespace'; Parameter = 'Id'; Value = 1; Id = $notFound; Category = $notFoundCategory; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpStatistic'; Parameter = 'Name'; Value = 'NoSuchCounter'; Id = 'StatisticNotFound'; Category = 'ObjectNotFound'; Rest = { @{} } }
        @{ Cmdlet = 'Get-TcpStatistic'; Parameter = 'Since'; Value = 'yesterday'; Id = 'InvalidSince'; Category = 'InvalidArgument'; Rest = { @{} } }
    )

    # The cmdlets that change or destroy state behind ShouldProcess. Each of their cases runs two
    # ways, with -WhatIf and with -Confirm:$false, and must fail the same: every input is checked
    # before ShouldProcess, so -WhatIf never shows an action the cmdlet would refuse. (A test below
    # checks this list against the module.)
    $script:ShouldProcessCmdlets = @('Close-TcpConnection', 'Remove-TcpConnection', 'Stop-TcpListener')
    $script:Runs = foreach ($case in $Cases) {
        $ways = if ($case.Cmdlet -in $ShouldProcessCmdlets) { '-WhatIf', '-Confirm:$false' } else { 'as is' }
        foreach ($way in $ways) { $case + @{ Way = $way } }
    }

    # Parameters where every value of their type is good: no case above, and said why here.
    $script:NoBadValue = @{
        'Send-TcpData -Text'       = 'any text, the empty string too, is data to send'
        'Send-TcpData -Bytes'      = 'any bytes, none too, are data to send'
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

    It '<Cmdlet> -<Parameter> <Value> (<Way>) is <Id>, <Category>' -TestCases $Runs {
        $arguments = & $Rest
        $arguments[$Parameter] = $Value
        switch ($Way) {
            '-WhatIf' { $arguments['WhatIf'] = $true }
            '-Confirm:$false' { $arguments['Confirm'] = $false }
        }
        $err = { & $Cmdlet @arguments -ErrorAction Stop } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Be "$Id,TcpClose.Commands.$($Cmdlet -replace '-', '')Command"
        $err.CategoryInfo.Category | Should -Be $Category
        $err.Exception.Message | Should -BeLike "*$Value*"
        if ($Id -notlike 'Parameter*' -and $Id -ne 'CannotConvertArgumentNoMessage') {
            # The module's own errors say what they are about.
            $err.TargetObject | Should -Not -BeNullOrEmpty
        }
    }

    It 'knows every cmdlet of the module that takes -WhatIf (their cases run both ways)' -TestCases @(@{ Listed = $ShouldProcessCmdlets }) {
        # Judged by the module itself, not by this file's list of runs.
        @(Get-Command -Module TcpClose | Where-Object { $_.Parameters.ContainsKey('WhatIf') } | ForEach-Object Name | Sort-Object) |
            Should -Be @($Listed | Sort-Object)
    }

    It 'leaves a blank name unregistered and a whitespace-only name too' {
        { Start-TcpListener -Name '' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidName,TcpClose.Commands.StartTcpListenerCommand'
        { Start-TcpListener -Name "`t " -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidName,TcpClose.Commands.StartTcpListenerCommand'
        @(Get-TcpListener | Where-Object { $null -ne $_.Name -and -not $_.Name.Trim() }) | Should -BeNullOrEmpty
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
