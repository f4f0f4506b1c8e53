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

Describe 'Get-TcpListener' {
    BeforeEach {
        # A prefix of its own per test, so names never collide with another test's listeners.
        $prefix = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    }

    AfterEach {
        Get-TcpListener | Stop-TcpListener -Confirm:$false
    }

    It 'returns the running listeners of this session' {
        $a = Start-TcpListener -Name "$prefix-a"
        $b = Start-TcpListener -Name "$prefix-b" -ReuseAddress

        $all = @(Get-TcpListener)
        $all.Id | Should -Contain $a.Id
        $all.Id | Should -Contain $b.Id
        $all | ForEach-Object { $_ | Should -BeOfType 'TcpClose.Listener' }
        ($all | Where-Object Id -EQ $b.Id).ReuseAddress | Should -BeTrue
    }

    It 'returns them in Id order' {
        $null = Start-TcpListener -Name "$prefix-1"
        $null = Start-TcpListener -Name "$prefix-2"
        $ids = @(Get-TcpListener).Id
        $ids | Should -Be ($ids | Sort-Object)
    }

    It 'finds listeners by a wildcard name' {
        $web1 = Start-TcpListener -Name "$prefix-web-1"
        $web2 = Start-TcpListener -Name "$prefix-web-2"
        $null = Start-TcpListener -Name "$prefix-db"

        $found = @(Get-TcpListener -Name "$prefix-web*")
        $found.Count | Should -Be 2
        $found.Id | Should -Be @($web1.Id, $web2.Id)
    }

    It 'takes the name positionally' {
        $db = Start-TcpListener -Name "$prefix-db"
        (Get-TcpListener "$prefix-db").Id | Should -Be $db.Id
    }

    It 'finds listeners by id' {
        $a = Start-TcpListener
        $b = Start-TcpListener
        $found = @(Get-TcpListener -Id $b.Id, $a.Id)
        $found.Id | Should -Contain $a.Id
        $found.Id | Should -Contain $b.Id
    }

    It 'does not list a stopped listener' {
        $gone = Start-TcpListener -Name "$prefix-gone"
        $gone | Stop-TcpListener -Confirm:$false
        @(Get-TcpListener).Id | Should -Not -Contain $gone.Id
        Get-TcpListener -Name "$prefix-g*" | Should -BeNullOrEmpty
    }

    It 'writes nothing and no error when a wildcard matches nothing' {
        $result = Get-TcpListener -Name "$prefix-nothing*" -ErrorVariable err -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
    }

    It 'writes a non-terminating ListenerNotFound for an unknown id, and still returns the others' {
        $a = Start-TcpListener
        $result = @(Get-TcpListener -Id 2147483000, $a.Id -ErrorVariable err -ErrorAction SilentlyContinue)
        @($result).Count | Should -Be 1
        $result[0].Id | Should -Be $a.Id
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'ListenerNotFound,TcpClose.Commands.GetTcpListenerCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'writes ListenerNotFound for a name without wildcards that matches nothing' {
        { Get-TcpListener -Name "$prefix-missing" -ErrorAction Stop } |
            Should -Throw -ErrorId 'ListenerNotFound,TcpClose.Commands.GetTcpListenerCommand'
    }
}
