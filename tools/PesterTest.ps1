#Requires -Version 5.1
<#
.SYNOPSIS
Runs Pester suites; started by the build's Pester tasks in a fresh PowerShell.

.DESCRIPTION
The module under test is named by $env:TCPCLOSE_MODULE_PATH (the staged TcpClose.psd1), which the
test files import. Pester is imported from -PesterPath (the pinned one the build restored from
NuGet), never from whatever PSModulePath holds. Exits with Pester's failed-test count, so the
build sees a non-zero exit code when anything fails.
#>
[CmdletBinding()]
param(
    # *.Tests.ps1 files, or folders whose *.Tests.ps1 files run; several joined by '|' (with -File
    # every word after -TestPath would be an argument of its own).
    [Parameter(Mandatory = $true)]
    [string[]]$TestPath,

    [Parameter(Mandatory = $true)]
    [string]$ResultPath,

    # Pester.psd1 of the Pester to run.
    [Parameter(Mandatory = $true)]
    [string]$PesterPath
)

$ErrorActionPreference = 'Stop'

Import-Module -Name $PesterPath -Force
$pester = Get-Module -Name Pester
Write-Host "Pester $($pester.Version) from $($pester.ModuleBase)"

# Under Wine (tests/UnderWine.ps1) Get-CimInstance never returns (no working WMI), and
# Pester calls it to fill the <environment> of the NUnit XML: the run would hang after its last
# test. Without it Pester writes the environment as 'Unknown'.
if (& (Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'tests') 'UnderWine.ps1')) {
    & $pester { $script:SafeCommands.Remove('Get-CimInstance'); $script:SafeCommands.Remove('Get-WmiObject') }
}

$configuration = [PesterConfiguration]::Default
$configuration.Run.Path = @(foreach ($path in @($TestPath | ForEach-Object { $_ -split '\|' } | Where-Object { $_ })) {
        if (Test-Path -LiteralPath $path -PathType Container) {
            Get-ChildItem -LiteralPath $path -Filter '*.Tests.ps1' -File | ForEach-Object { $_.FullName }
        }
        else {
            (Resolve-Path -LiteralPath $path).ProviderPath
        }
    })
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultPath

# Every error the suites raise lands in $Error (caught ones too): kept, so the ids each cmdlet
# raised can be checked against its help page (the build's TestErrorIds task).
$global:MaximumErrorCount = 32768
$run = Invoke-Pester -Configuration $configuration
@($global:Error | ForEach-Object { "$($_.FullyQualifiedErrorId)" } | Where-Object { $_ -match '^\w+,TcpClose\.Commands\.\w+Command$' } | Sort-Object -Unique) |
    Set-Content -LiteralPath ([System.IO.Path]::ChangeExtension($ResultPath, '.error-ids.txt'))
exit ($run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount)
