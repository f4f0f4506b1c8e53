BeforeAll {
    # Imports the module under test (the staged one, or $env:TCPCLOSE_MODULE_PATH) and the helpers.
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $onMacOS = [bool](Get-Variable -Name IsMacOS -ValueOnly -ErrorAction SilentlyContinue)
    $onWindows = -not ($onLinux -or $onMacOS)
}

Describe 'Get-TcpSetting' {
    It 'writes typed setting objects with a source and a description' {
        $all = @(Get-TcpSetting)
        $all.Count | Should -BeGreaterThan 0
        foreach ($s in $all) {
            $s | Should -BeOfType 'TcpClose.TcpSetting'
            $s.Name | Should -Not -BeNullOrEmpty
            $s.Source | Should -Not -BeNullOrEmpty
            $s.Description | Should -Not -BeNullOrEmpty
            $s.Value | Should -Not -BeOfType 'System.String'
        }
    }

    It 'shows every net.* value exactly as sysctl prints it (Linux)' -Skip:(-not $onLinux) {
        $compared = 0
        foreach ($s in Get-TcpSetting 'net.*') {
            $printed = (& sysctl -n $s.Name) -join "`n"
            $LASTEXITCODE | Should -Be 0
            $s.RawValue | Should -BeExactly $printed
            $s.Source | Should -Be ('/proc/sys/' + $s.Name.Replace('.', '/'))
            $compared++
        }
        $compared | Should -BeGreaterOrEqual 7
        $range = Get-TcpSetting net.ipv4.ip_local_port_range
        $first, $last = (& sysctl -n net.ipv4.ip_local_port_range) -split '\s+'
        $range.Value.First | Should -Be ([int]$first)
        $range.Value.Last | Should -Be ([int]$last)
        $range.Value.Count | Should -Be ([int]$last - [int]$first + 1)
        (Get-TcpSetting net.ipv4.tcp_fin_timeout).Value.TotalSeconds | Should -Be ([int](& sysctl -n net.ipv4.tcp_fin_timeout))
        (Get-TcpSetting net.ipv4.tcp_tw_reuse).Value | Should -BeOfType 'System.Int32'
    }

    It 'says the Linux TIME_WAIT length is compiled into the kernel' -Skip:(-not $onLinux) {
        $s = Get-TcpSetting TCP_TIMEWAIT_LEN
        $s.Value | Should -Be ([timespan]::FromSeconds(60))
        $s.IsDefault | Should -BeTrue
        $s.Source | Should -Match 'TCP_TIMEWAIT_LEN .*include/net/tcp\.h'
    }

    It 'shows TcpTimedWaitDelay on Windows, with the default when the value is absent' -Skip:(-not $onWindows) {
        $s = Get-TcpSetting TcpTimedWaitDelay
        $s.Value | Should -BeOfType 'System.TimeSpan'
        $s.Source | Should -Match 'Tcpip\\Parameters\\TcpTimedWaitDelay'
        if ($null -eq $s.RawValue) {
            $s.IsDefault | Should -BeTrue
            $s.Source | Should -Match 'absent'
        }
    }

    It 'filters with wildcards, ignoring case' {
        $names = @(Get-TcpSetting | ForEach-Object Name)   # an array even where the OS has one setting
        $pattern = $names[0].Substring(0, 4).ToUpperInvariant() + '*'
        $picked = @(Get-TcpSetting $pattern)
        $picked.Count | Should -BeGreaterThan 0
        $picked.Count | Should -Be @($names | Where-Object { $_ -like $pattern }).Count
    }

    It 'takes names from the pipeline by property name' {
        $first = @(Get-TcpSetting)[0]
        ([pscustomobject]@{ Name = $first.Name } | Get-TcpSetting).Name | Should -Be $first.Name
    }

    It 'reports an unknown plain name as SettingNotFound and still writes the others' {
        $first = @(Get-TcpSetting)[0]
        $out = Get-TcpSetting 'no.such.setting', $first.Name -ErrorVariable err -ErrorAction SilentlyContinue
        @($out).Name | Should -Be $first.Name
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'SettingNotFound,TcpClose.Commands.GetTcpSettingCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be 'no.such.setting'
        $err[0].Exception.Message | Should -Match ([regex]::Escape($first.Name))
        { Get-TcpSetting 'no.such.setting' -ErrorAction Stop } | Should -Throw -ErrorId 'SettingNotFound,*'
    }

    It 'writes nothing and no error for a wildcard that matches nothing' {
        Get-TcpSetting 'no.such.*' -ErrorVariable err | Should -BeNullOrEmpty
        $err.Count | Should -Be 0
    }

    It 'completes setting names with Tab' {
        $first = @(Get-TcpSetting)[0].Name
        $line = "Get-TcpSetting $($first.Substring(0, 4))"
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain $first
    }

    It 'has a table view of one line per setting within 80 columns' {
        $all = @(Get-TcpSetting)
        $lines = @((Get-TcpSetting | Out-String -Width 300) -split '\r?\n' | Where-Object { $_.Trim() })
        $lines.Count | Should -Be ($all.Count + 2)
        $lines[0] | Should -Match '^Name\s+Value\s+Default\s+IsDefault$'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
    }

    It 'has full help with runnable examples' {
        $help = Get-Help Get-TcpSetting -Full
        $help.Synopsis | Should -Match 'TIME_WAIT'
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        $help.Parameters.Parameter.Name | Should -Contain 'Name'
    }
}
