#Requires -Version 5.1
<#
.SYNOPSIS
Builds, tests and packages the TcpClose module: restores the pinned tools, then runs named tasks.

.DESCRIPTION
The bootstrap of the build. It restores the build's own modules from NuGet, pinned in
tools/requirements.proj (Pester 5.9.1 and 6.2.0, Invoke-Build), into the NuGet packages folder:
nothing needs installing by hand beyond the .NET SDK (PowerShell itself is pinned in
.config/dotnet-tools.json: `dotnet tool restore`, then `dotnet pwsh ./build.ps1`). Then it runs
Invoke-Build on TcpClose.build.ps1, whose tasks can be run one at a time with -Task:

    Build       compile, stage out/TcpClose/<version>/ with its en-US help (platyPS)
    Package     out/packages/TcpClose.<version>.nupkg through Publish-PSResource
    Test        every test part, even after one failed: xunit with coverage, Pester 5, the
                examples and help examples under Pester 6, the Windows lane (pwsh-windows);
                sums out/test-results/ into one closing "N passed, N failed, N skipped" line
    Clean       remove out/ and every bin/ and obj/
    Benchmark   run every benchmark and rewrite docs/performance.md's figures (Linux, root; minutes)

platyPS 0.14 (for the help) is taken from PSModulePath or out/tools/Modules; where it is in neither,
the build saves it into out/tools/Modules with Save-PSResource when a gallery answers.

Everything the script starts runs with a private temp folder (TMPDIR, TMP and TEMP), removed at
the end, so a build or test run leaves nothing in /tmp; Test fails when a test or the build left
anything there beyond what the dotnet CLI itself leaves (dotnet/sdk#35353).

Exits 0 on success, 1 when a task failed (with -Test: a test failed, a part broke without
results, or no test ran). Runs on PowerShell 7.4+ and Windows PowerShell 5.1.

.PARAMETER Task
Tasks of TcpClose.build.ps1 to run, in order (Clean, Build, Package, Test, or one test part:
TestXunit, TestPester, TestPester6, TestWindows). Without it: Build, with -Package and -Test added.

.PARAMETER Configuration
The dotnet build configuration. Default Release.

.PARAMETER Clean
Run Clean first.

.PARAMETER Package
After Build, write the installable package out/packages/TcpClose.<version>.nupkg.

.PARAMETER Test
After Build and Package, run every test and exit non-zero when anything failed or nothing ran.

.EXAMPLE
./build.ps1 -Test

.EXAMPLE
./build.ps1 -Package

.EXAMPLE
./build.ps1 -Task Build, TestPester
#>
[CmdletBinding()]
param(
    [ArgumentCompleter({ 'Clean', 'Build', 'Package', 'Test', 'TestXunit', 'TestPester', 'TestPester6', 'TestWindows', 'TestErrorIds', 'Benchmark' })]
    [string[]]$Task,

    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',

    [switch]$Clean,

    [switch]$Package,

    [switch]$Test
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# Everything this script starts gets a private temp folder, removed when the script ends: the
# dotnet CLI leaves two empty folders in the temp folder per build, publish or test command
# (dotnet/sdk#35353), and a test run must leave /tmp as it found it. The script runs itself once
# more inside that folder; the Summary task reports anything else left in it as a failure.
if (-not $env:TCPCLOSE_BUILD_TEMP) {
    $buildTemp = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-build-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $buildTemp | Out-Null
    $savedTemp = @{}
    foreach ($name in 'TMPDIR', 'TMP', 'TEMP') {
        $savedTemp[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $buildTemp)
    }
    $env:TCPCLOSE_BUILD_TEMP = $buildTemp
    try {
        & $PSCommandPath @PSBoundParameters
        $buildExit = $LASTEXITCODE
    }
    finally {
        foreach ($name in $savedTemp.Keys) {
            [Environment]::SetEnvironmentVariable($name, $savedTemp[$name])
        }
        $env:TCPCLOSE_BUILD_TEMP = $null
        Remove-Item -LiteralPath $buildTemp -Recurse -Force -ErrorAction SilentlyContinue
    }
    exit $buildExit
}

$root = $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

# ---- The pinned tools: restored from NuGet; each package carries its module in tools/. ----
$requirements = Join-Path (Join-Path $root 'tools') 'requirements.proj'
dotnet restore $requirements --nologo --disable-build-servers --verbosity quiet
if ($LASTEXITCODE -ne 0) {
    [Console]::Error.WriteLine("dotnet restore $requirements failed (exit $LASTEXITCODE): the build's tools come from NuGet.")
    exit 1
}
$assets = Get-Content -LiteralPath (Join-Path (Join-Path (Join-Path $root 'tools') 'obj') 'project.assets.json') -Raw | ConvertFrom-Json
$packageFolder = @($assets.packageFolders.PSObject.Properties.Name)[0]
$pinned = @{}
foreach ($download in ([xml](Get-Content -LiteralPath $requirements -Raw)).SelectNodes('//PackageDownload')) {
    $pinned[$download.Include] = @([regex]::Matches($download.Version, '\[([^\]]+)\]') | ForEach-Object { $_.Groups[1].Value })
}
function Get-PinnedModule([string]$Package, [string]$Version, [string]$Manifest) {
    $path = Join-Path (Join-Path (Join-Path (Join-Path $packageFolder $Package.ToLowerInvariant()) $Version) 'tools') $Manifest
    if (-not (Test-Path -LiteralPath $path)) { throw "The restored $Package $Version has no $path." }
    $path
}
$pesterModules = @{}
foreach ($pesterVersion in $pinned['Pester']) {
    $pesterModules[$pesterVersion.Split('.')[0]] = Get-PinnedModule 'Pester' $pesterVersion 'Pester.psd1'
}
$invokeBuild = Get-PinnedModule 'Invoke-Build' $pinned['Invoke-Build'][0] 'InvokeBuild.psd1'

# The project's own module folder (platyPS where PSModulePath has none) is seen by every child.
$modulesPath = Join-Path (Join-Path (Join-Path $root 'out') 'tools') 'Modules'
$env:PSModulePath = $modulesPath + [System.IO.Path]::PathSeparator + $env:PSModulePath

# From a shell (`pwsh ./build.ps1 -Task Build,Package`) the list arrives as one string.
$Task = @($Task | ForEach-Object { $_ -split ',' } | ForEach-Object { $_.Trim() } | Where-Object { $_ })
if (-not $Task) {
    $Task = @()
    if ($Clean) { $Task += 'Clean' }
    $Task += 'Build'
    if ($Package -or $Test) { $Task += 'Package' }
    if ($Test) { $Task += 'Test' }
}

Import-Module -Name $invokeBuild
$summaryFile = Join-Path (Join-Path $root 'out') 'test-summary.txt'
Remove-Item -LiteralPath $summaryFile -Force -ErrorAction SilentlyContinue
$failed = $false
try {
    Invoke-Build -Task $Task -File (Join-Path $root 'TcpClose.build.ps1') -Configuration $Configuration `
        -PesterModules $pesterModules -ModulesPath $modulesPath
}
catch {
    $failed = $true
}
if ('Build' -in $Task -and 'Test' -notin $Task -and -not $failed) {
    Write-Host "Import-Module $(Join-Path (Join-Path (Join-Path (Join-Path '.' 'out') 'TcpClose') (Import-PowerShellDataFile -Path (Join-Path $root 'TcpClose.psd1')).ModuleVersion) 'TcpClose.psd1')"
}
# The test runs' one closing line, last of all.
if (Test-Path -LiteralPath $summaryFile) {
    Write-Host (Get-Content -LiteralPath $summaryFile -Raw).Trim()
    Remove-Item -LiteralPath $summaryFile -Force
}
if ($failed) { exit 1 }
exit 0
