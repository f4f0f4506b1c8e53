<#
Every PowerShell block of the docs a reader pastes from: README.md, docs/*.md and about_TcpClose.
Each one either RUNS, or says it is a fragment and why:

  * A block runs in a fresh child pwsh with only the staged module imported, under
    Set-StrictMode -Version Latest (a variable the block never defines is an error) and
    $ErrorActionPreference = 'Stop' (so is any error it writes), from the repository root, within
    90 s. It must leave no listener of its own open. Where an ```Output block follows, what it
    prints must have that shape (Compare-TcpExampleOutput: the help examples' rules).
  * A block whose first line is "# Fragment: <reason>" is not run: the reason says why it cannot
    be (another host, a real Windows, part of a larger script), in 20 characters or more.
  * A block whose first line is "# Needs root: <reason>" runs only as root.

The blocks run on Linux, where CI runs them; the help examples (Help.Tests.ps1) run on every lane.
#>
BeforeDiscovery {
    $repoRoot = Split-Path -Parent $PSScriptRoot
    $files = @(
        Join-Path $repoRoot 'README.md'
        Get-ChildItem -LiteralPath (Join-Path $repoRoot 'docs') -Filter '*.md' -File | ForEach-Object FullName
        Join-Path $repoRoot 'docs/en-US/about_TcpClose.md'
    )
    $script:Blocks = foreach ($file in $files) {
        $lines = Get-Content -LiteralPath $file
        $name = [System.IO.Path]::GetRelativePath($repoRoot, $file) -replace '\\', '/'
        for ($i = 0; $i -lt $lines.Count; $i++) {
            if ($lines[$i] -notmatch '^```powershell\s*$') { continue }
            $code = [System.Collections.Generic.List[string]]::new()
            for ($k = $i + 1; $k -lt $lines.Count -and $lines[$k] -notmatch '^```'; $k++) { $code.Add($lines[$k]) }
            $expected = $null
            $next = $k + 1
            while ($next -lt $lines.Count -and -not $lines[$next].Trim()) { $next++ }
            if ($next -lt $lines.Count -and $lines[$next] -match '^```Output\s*$') {
                $expected = @(for ($m = $next + 1; $m -lt $lines.Count -and $lines[$m] -notmatch '^```'; $m++) { $lines[$m] })
            }
            $first = if ($code.Count) { $code[0] } else { '' }
            @{
                Where    = "$name line $($i + 1)"
                Code     = $code -join "`n"
                Expected = $expected
                Fragment = if ($first -match '^\s*#\s*Fragment:\s*(.*)$') { $Matches[1] } else { $null }
                Root     = $first -match '^\s*#\s*Needs root:'
            }
            $i = $k
        }
    }
    $script:Runnable = @($Blocks | Where-Object { $null -eq $_.Fragment })
    $script:Fragments = @($Blocks | Where-Object { $null -ne $_.Fragment })
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
    $script:NotHere = if (-not $onLinux) { 'the docs'' blocks run on Linux, where CI runs them (the help examples run on every lane)' }
    $script:IsRoot = $onLinux -and "$(& id -u)" -eq '0'
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $repoRoot = Split-Path -Parent $PSScriptRoot
    $modulePath = (Get-Module TcpClose).Path -replace '\.dll$', '.psd1'
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

Describe 'The docs'' PowerShell blocks' {
    It 'found the blocks of README.md, docs/*.md and about_TcpClose' -TestCases @(@{ Count = $Blocks.Count; Places = @($Blocks.Where | ForEach-Object { ($_ -split ' line ')[0] } | Sort-Object -Unique) }) {
        $Count | Should -BeGreaterThan 10
        $Places | Should -Contain 'README.md'
        $Places | Should -Contain 'docs/en-US/about_TcpClose.md'
    }

    It '<Where> is a fragment, and says why: <Fragment>' -TestCases $Fragments {
        $Fragment.Trim().Length | Should -BeGreaterOrEqual 20 -Because 'a fragment mark gives its reason'
    }

    It '<Where> runs' -TestCases $Runnable -Skip:([bool]$NotHere) {
        if ($Root -and -not $IsRoot) {
            Set-ItResult -Skipped -Because 'the block says it needs root'
            return
        }
        $script = @"
Set-StrictMode -Version Latest
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$modulePath'
& {
$Code
} | Out-String -Width 200 -Stream
if (@(Get-TcpListener).Count) { throw "the block left `$(@(Get-TcpListener).Count) listener(s) open" }
"@
        # In a network namespace of its own where it can be: a block counts only its own rows.
        $child = @(Get-TcpIsolatedPowerShell)
        $job = Start-ThreadJob -ScriptBlock {
            param($Child, $Script, $Dir)
            Set-Location -LiteralPath $Dir
            $out = & $Child[0] @($Child | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $Script 2>&1 | ForEach-Object { "$_" }
            [pscustomobject]@{ Out = $out; Code = $LASTEXITCODE }
        } -ArgumentList $child, $script, $repoRoot
        $done = Wait-Job $job -Timeout 90
        if (-not $done) { Stop-Job $job; Remove-Job $job -Force; throw "$Where did not finish within 90 s" }
        $result = Receive-Job $job
        Remove-Job $job
        $printed = ($result.Out | ForEach-Object { $_ -replace '\x1b\[[0-9;]*m', '' }) -join "`n"
        $result.Code | Should -Be 0 -Because "the block raised no error; it printed:`n$printed"
        if ($null -ne $Expected) {
            Compare-TcpExampleOutput -Expected $Expected -Printed $printed | Should -BeNullOrEmpty -Because "the Output block after $Where shows what it prints"
        }
    }
}
