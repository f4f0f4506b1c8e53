# The README's first screen as a newcomer meets it (issue 6, point 6): its first set-up command
# must show each result in the table view the module's format file intends. Two output types in
# one pipeline make Out-Default format the second type as lists, so the command pipes the first
# result to Out-Host; this test runs what the README says, after its build step (build.ps1 -Test
# has just staged the module), and reads the screen.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $repoRoot = Split-Path -Parent $PSScriptRoot
    $readme = Get-Content -LiteralPath (Join-Path $repoRoot 'README.md') -Raw
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

Describe 'The README' {
    It 'gives exactly two set-up commands on its first screen: build and run, then the tests' {
        $block = [regex]::Match($readme, '(?s)```sh\r?\n(.*?)```').Groups[1].Value
        $commands = @($block -split '\r?\n' | Where-Object { $_.Trim() })
        $commands.Count | Should -Be 2
        $commands[0] | Should -BeLike "dotnet tool restore && dotnet pwsh -NoProfile -Command './build.ps1;*'"
        $commands[1] | Should -Be 'dotnet tool restore && dotnet pwsh -NoProfile ./build.ps1 -Test'
    }

    It 'has a first command whose results show as tables at 80 columns, not as lists' {
        $first = [regex]::Match($readme, '(?s)```sh\r?\n(.*?)\r?\n').Groups[1].Value
        $script = [regex]::Match($first, "^dotnet tool restore && dotnet pwsh -NoProfile -Command '(.*)'$").Groups[1].Value
        $script | Should -BeLike './build.ps1; *'
        # What follows the build step, run where the README runs it (the repository root), against
        # the module build.ps1 staged there.
        $afterBuild = $script.Substring('./build.ps1; '.Length)
        # A TIME_WAIT row of our own, so Get-TcpTimeWait has something to show (on Linux the helper
        # waits until the table holds it); without rows the second table could not go wrong.
        if ($TcpTestOnLinux) {
            $null = New-TimeWaitOnServer
        }
        $pwshExe = Get-TcpTestPowerShell
        Push-Location $repoRoot
        try {
            $screen = & $pwshExe -NoProfile -NonInteractive -Command $afterBuild 2>&1 |
                Out-String
        }
        finally {
            Pop-Location
        }
        $LASTEXITCODE | Should -Be 0 -Because $screen
        $screen = $screen -replace '\x1b\[[0-9;]*m', ''
        # Test-TcpBind's table header, then Get-TcpTimeWait's (when there are TIME_WAIT rows).
        $screen | Should -Match '(?m)^Address\s+Port\s+CanBind\s+TimeWaitCount\s+Advice\s*$'
        $screen | Should -Not -Match '(?m)^(CanBind|LocalPort|RemainingSeconds)\s+:'
        if ($TcpTestOnLinux) {
            $screen | Should -Match '(?m)^LocalAddress\s+LocalPort\s+RemoteAddress\s+RemotePort\s+RemainingSeconds'
        }
        foreach ($line in $screen -split '\r?\n') {
            $line.Length | Should -BeLessOrEqual 80 -Because "every line fits 80 columns: '$line'"
        }
    }

    It 'has a first command that stops at a failed build, before any module is imported' {
        $first = [regex]::Match($readme, '(?s)```sh\r?\n(.*?)\r?\n').Groups[1].Value
        $script = [regex]::Match($first, "^dotnet tool restore && dotnet pwsh -NoProfile -Command '(.*)'$").Groups[1].Value
        # The same command with a build that fails as build.ps1 does (exit 1), in a folder with no module.
        $failing = Join-Path $TestDrive 'build.ps1'
        Set-Content -LiteralPath $failing -Value 'Write-Output "the build failed"; exit 1'
        $pwshExe = Get-TcpTestPowerShell
        Push-Location $TestDrive
        try {
            $screen = & $pwshExe -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
            $code = $LASTEXITCODE
        }
        finally {
            Pop-Location
        }
        $screen | Should -Match 'the build failed' -Because 'the stand-in build ran'
        $code | Should -Be 1
        $screen | Should -Not -Match 'Import-Module|CanBind|was not loaded'
    }
}
