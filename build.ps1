#Requires -Version 5.1
<#
.SYNOPSIS
Builds the TcpClose module and stages it under out/TcpClose/<version>/.

.DESCRIPTION
Reads the version from TcpClose.psd1 (the only place it lives), publishes src/TcpClose with
dotnet, and stages the manifest, the two assemblies, the format file and the en-US external help
built from docs/en-US: with platyPS when it is installed, otherwise with the repository's own
converter (tools/TcpClose.HelpGen, run with dotnet), so Get-Help always has the full help.
With -Test it then runs the xunit suites (dotnet test) and the Pester suites (tests/*.Tests.ps1)
in a child PowerShell against the staged module, so a loaded TcpClose.dll never lingers in this
session.

Runs on PowerShell 7.4+ and Windows PowerShell 5.1. Any failure stops the build with an error.

.PARAMETER Configuration
The dotnet build configuration. Default Release.

.PARAMETER Clean
Remove out/ and every bin/ and obj/ under src/, tests/ and tools/ before building.

.PARAMETER Test
After staging, run dotnet test on TcpClose.sln and then Pester 5 against the staged module.

.EXAMPLE
./build.ps1 -Test

.EXAMPLE
./build.ps1 -Configuration Debug -Clean
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',

    [switch]$Clean,

    [switch]$Test
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# $IsWindows does not exist on Windows PowerShell 5.1, which only runs on Windows.
$onWindows = $true
if ($PSVersionTable.PSEdition -eq 'Core') {
    $onWindows = $IsWindows
}

$root = $PSScriptRoot
$manifestPath = Join-Path $root 'TcpClose.psd1'
$version = (Import-PowerShellDataFile -Path $manifestPath).ModuleVersion
if (-not $version) {
    throw "No ModuleVersion in $manifestPath."
}

$outRoot = Join-Path $root 'out'
$moduleRoot = Join-Path (Join-Path $outRoot 'TcpClose') $version
$stagedManifest = Join-Path $moduleRoot 'TcpClose.psd1'
$srcRoot = Join-Path $root 'src'
$testsRoot = Join-Path $root 'tests'
$docsRoot = Join-Path (Join-Path $root 'docs') 'en-US'
$toolsRoot = Join-Path $root 'tools'

if ($Clean) {
    if (Test-Path -LiteralPath $outRoot) {
        Write-Verbose "Removing $outRoot"
        Remove-Item -LiteralPath $outRoot -Recurse -Force
    }
    foreach ($projectDir in (Get-ChildItem -LiteralPath $srcRoot, $testsRoot, $toolsRoot -Directory)) {
        foreach ($name in 'bin', 'obj') {
            $dir = Join-Path $projectDir.FullName $name
            if (Test-Path -LiteralPath $dir) {
                Write-Verbose "Removing $dir"
                Remove-Item -LiteralPath $dir -Recurse -Force
            }
        }
    }
}

# Compile. The version is passed down so the assemblies carry the manifest's version.
$project = Join-Path (Join-Path $srcRoot 'TcpClose') 'TcpClose.csproj'
$publishDir = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-publish-' + [guid]::NewGuid().ToString('N'))
try {
    Write-Host "Publishing $project ($Configuration, version $version)"
    dotnet publish $project --configuration $Configuration --output $publishDir --nologo "-p:Version=$version"
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet publish failed with exit code $LASTEXITCODE."
    }

    # Stage by name, not by copying the publish folder: never a System.Management.Automation.dll
    # (PowerShellStandard's is a reference stub; PowerShell brings the real one), no deps.json or pdbs.
    if (Test-Path -LiteralPath $moduleRoot) {
        Remove-Item -LiteralPath $moduleRoot -Recurse -Force
    }
    New-Item -ItemType Directory -Path $moduleRoot -Force | Out-Null
    foreach ($file in 'TcpClose.dll', 'TcpClose.Core.dll') {
        $source = Join-Path $publishDir $file
        if (-not (Test-Path -LiteralPath $source)) {
            throw "dotnet publish produced no $file in $publishDir."
        }
        Copy-Item -LiteralPath $source -Destination $moduleRoot
    }
}
finally {
    if (Test-Path -LiteralPath $publishDir) {
        Remove-Item -LiteralPath $publishDir -Recurse -Force
    }
}
Copy-Item -LiteralPath $manifestPath -Destination $moduleRoot
Copy-Item -LiteralPath (Join-Path (Join-Path $srcRoot 'TcpClose') 'TcpClose.Format.ps1xml') -Destination $moduleRoot
Copy-Item -LiteralPath (Join-Path $root 'LICENSE') -Destination $moduleRoot

# External help from the platyPS markdown: classic platyPS (New-ExternalHelp) or its successor
# Microsoft.PowerShell.PlatyPS (Import-MarkdownCommandHelp | Export-MamlCommandHelp) when one is
# installed; otherwise tools/TcpClose.HelpGen, which writes the same MAML and about_ text.
$helpRoot = Join-Path $moduleRoot 'en-US'
$platyPS = Get-Module -ListAvailable -Name 'platyPS' | Sort-Object Version -Descending | Select-Object -First 1
$platyPS1 = Get-Module -ListAvailable -Name 'Microsoft.PowerShell.PlatyPS' | Sort-Object Version -Descending | Select-Object -First 1
if (-not (Test-Path -LiteralPath $docsRoot)) {
    Write-Warning "No docs in ${docsRoot}: en-US help was not built."
}
elseif ($platyPS) {
    Write-Host "Building en-US help with platyPS $($platyPS.Version) (New-ExternalHelp)"
    Import-Module -ModuleInfo $platyPS
    # Cmdlet pages become TcpClose.dll-Help.xml (from their 'external help file' header) and
    # about_TcpClose.help.md becomes about_TcpClose.help.txt.
    New-ExternalHelp -Path $docsRoot -OutputPath $helpRoot -Force | Out-Null
}
elseif ($platyPS1) {
    Write-Host "Building en-US help with Microsoft.PowerShell.PlatyPS $($platyPS1.Version)"
    Import-Module -ModuleInfo $platyPS1
    New-Item -ItemType Directory -Path $helpRoot -Force | Out-Null
    $mamlDir = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-maml-' + [guid]::NewGuid().ToString('N'))
    try {
        $pages = Measure-PlatyPSMarkdown -Path (Join-Path $docsRoot '*.md')
        $pages | Where-Object { $_.FileType -match 'CommandHelp' } |
            ForEach-Object { Import-MarkdownCommandHelp -Path $_.FilePath } |
            Export-MamlCommandHelp -OutputFolder $mamlDir -Force | Out-Null
        Get-ChildItem -LiteralPath $mamlDir -Filter '*-Help.xml' -Recurse -File |
            Copy-Item -Destination $helpRoot
    }
    finally {
        if (Test-Path -LiteralPath $mamlDir) {
            Remove-Item -LiteralPath $mamlDir -Recurse -Force
        }
    }
    # This platyPS has no about-topic converter; Get-Help shows about_*.help.txt as plain text.
    Get-ChildItem -LiteralPath $docsRoot -Filter 'about_*.help.md' -File | ForEach-Object {
        Copy-Item -LiteralPath $_.FullName -Destination (Join-Path $helpRoot ($_.Name -replace '\.md$', '.txt'))
    }
}
else {
    $helpGen = Join-Path $toolsRoot 'TcpClose.HelpGen'
    Write-Host "Building en-US help with $helpGen (platyPS is not installed)"
    # '--' is quoted: some PowerShell versions take a bare -- as their own end-of-parameters marker.
    dotnet run --project $helpGen --configuration $Configuration '--' $docsRoot $helpRoot
    if ($LASTEXITCODE -ne 0) {
        throw "TcpClose.HelpGen failed with exit code $LASTEXITCODE (the page and line are in its error above)."
    }
}
if ((Test-Path -LiteralPath $helpRoot) -and -not (Test-Path -LiteralPath (Join-Path $helpRoot 'TcpClose.dll-Help.xml'))) {
    Write-Warning "No TcpClose.dll-Help.xml in ${helpRoot}: Get-Help finds binary cmdlet help only under that name (set 'external help file: TcpClose.dll-Help.xml' in each docs page)."
}

Write-Host "Staged TcpClose $version in $moduleRoot"

if ($Test) {
    $solution = Join-Path $root 'TcpClose.sln'
    dotnet test $solution --configuration $Configuration --nologo
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet test failed with exit code $LASTEXITCODE."
    }

    $pesterFiles = @(Get-ChildItem -LiteralPath $testsRoot -Filter '*.Tests.ps1' -File)
    if ($pesterFiles.Count -eq 0) {
        Write-Warning "No Pester files (*.Tests.ps1) in $testsRoot; Pester was not run."
    }
    else {
        $pester = Get-Module -ListAvailable -Name 'Pester' | Where-Object { $_.Version -ge [version]'5.0' }
        if (-not $pester) {
            throw ('Pester 5 is required for -Test and was not found (Windows PowerShell ships Pester 3.4). ' +
                'Install it with: Install-Module Pester -MinimumVersion 5.0 -Scope CurrentUser -Force -SkipPublisherCheck')
        }

        # A child PowerShell of the same edition, so the module is tested where it will run and
        # the DLL it loads goes away with the child.
        if ($PSVersionTable.PSEdition -eq 'Core') {
            $exeName = 'pwsh'
            if ($onWindows) {
                $exeName = 'pwsh.exe'
            }
        }
        else {
            $exeName = 'powershell.exe'
        }
        $childExe = Join-Path $PSHOME $exeName
        $runner = Join-Path (Join-Path $root 'tools') 'PesterTest.ps1'
        $resultPath = Join-Path $outRoot 'testResults.xml'

        $previous = $env:TCPCLOSE_MODULE_PATH
        $env:TCPCLOSE_MODULE_PATH = $stagedManifest
        try {
            & $childExe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $runner -TestPath $testsRoot -ResultPath $resultPath
            $pesterExit = $LASTEXITCODE
        }
        finally {
            $env:TCPCLOSE_MODULE_PATH = $previous
        }
        if ($pesterExit -ne 0) {
            throw "Pester failed (exit code $pesterExit); results in $resultPath."
        }
        Write-Host "Pester results: $resultPath"
    }
}

$relativeManifest = Join-Path (Join-Path (Join-Path (Join-Path '.' 'out') 'TcpClose') $version) 'TcpClose.psd1'
Write-Host "Import-Module $relativeManifest"
