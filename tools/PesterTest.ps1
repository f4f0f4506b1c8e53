#Requires -Version 5.1
<#
.SYNOPSIS
Runs the Pester 5 suites; started by build.ps1 -Test in a fresh PowerShell.

.DESCRIPTION
The module under test is named by $env:TCPCLOSE_MODULE_PATH (the staged TcpClose.psd1), which the
test files import. -ExamplesPath adds the example suites of docs/examples, which import it the
same way. Exits with Pester's failed-test count, so the build sees a non-zero exit code when
anything fails.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string]$TestPath,

    [Parameter(Mandatory = $true)]
    [string]$ResultPath,

    # A further folder of *.Tests.ps1 run with the rest: docs/examples, the suites users copy.
    [string]$ExamplesPath
)

$ErrorActionPreference = 'Stop'

Import-Module -Name Pester -MinimumVersion 5.0

$configuration = [PesterConfiguration]::Default
$folders = @($TestPath)
if ($ExamplesPath) {
    $folders += $ExamplesPath
}
$configuration.Run.Path = @(Get-ChildItem -LiteralPath $folders -Filter '*.Tests.ps1' -File | ForEach-Object { $_.FullName })
$configuration.Run.Exit = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = $ResultPath

Invoke-Pester -Configuration $configuration
