#Requires -Version 5.1
<#
.SYNOPSIS
Builds the TcpClose module and stages it under out/TcpClose/<version>/.

.DESCRIPTION
Reads the version from TcpClose.psd1 (the only place it lives), publishes src/TcpClose with
dotnet, and stages the manifest, the two assemblies, the format file and the en-US external help
(MAML and the about_TcpClose topic), built from docs/en-US with platyPS's New-ExternalHelp.
Where platyPS is missing the script installs it from the PowerShell Gallery
(Install-Module platyPS -Scope CurrentUser); a PowerShell without Install-Module gets one line
saying how to install it.
With -Test it runs every test: the xunit suites (dotnet test TcpClose.sln) and the Pester suite
(tests/*.Tests.ps1, and the example suites users copy, docs/examples/*.Tests.ps1) in a child
PowerShell against the staged module, so a loaded TcpClose.dll never lingers in this session.
Every part runs even when an earlier one failed.

Test results: every part writes its result file into out/test-results/ (emptied at the start of
each -Test run): dotnet test one .trx per test project, each Pester lane pester-<lane>.xml
(NUnit XML). The closing line, "N passed, N failed, N skipped", is the sum over EVERY *.trx and
*.xml file in that folder, whichever part wrote it: a further lane (say the Pester suite in
pwsh-windows under Wine) only has to write its NUnit XML there (Invoke-PesterLane does) to be
counted. The script exits 1 when any test failed, when a part failed without a result (a build
error, a runner that did not start) or when no test ran at all; else 0.

Everything the script starts runs with a private temp folder (TMPDIR, TMP and TEMP), removed at
the end, so a build or test run leaves nothing in /tmp; -Test fails when a test or the build left
anything there beyond what the dotnet CLI itself leaves (dotnet/sdk#35353).

Without -Test, any failure stops the build with an error. Runs on PowerShell 7.4+ and Windows
PowerShell 5.1.

.PARAMETER Configuration
The dotnet build configuration. Default Release.

.PARAMETER Clean
Remove out/ and every bin/ and obj/ under src/ and tests/ before building.

.PARAMETER Test
After staging, run every test (xunit and Pester), sum the results in out/test-results/ and exit
non-zero when anything failed or nothing ran.

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

# Everything this script starts gets a private temp folder, removed when the script ends: the
# dotnet CLI leaves two empty folders in the temp folder per build, publish or test command
# (dotnet/sdk#35353), and a test run must leave /tmp as it found it. The script runs itself once
# more inside that folder; -Test reports anything else left in it as a failure.
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
$examplesRoot = Join-Path (Join-Path $root 'docs') 'examples'
$docsRoot = Join-Path (Join-Path $root 'docs') 'en-US'
$toolsRoot = Join-Path $root 'tools'

if ($Clean) {
    if (Test-Path -LiteralPath $outRoot) {
        Write-Verbose "Removing $outRoot"
        Remove-Item -LiteralPath $outRoot -Recurse -Force
    }
    foreach ($projectDir in (Get-ChildItem -LiteralPath $srcRoot, $testsRoot -Directory)) {
        foreach ($name in 'bin', 'obj') {
            $dir = Join-Path $projectDir.FullName $name
            if (Test-Path -LiteralPath $dir) {
                Write-Verbose "Removing $dir"
                Remove-Item -LiteralPath $dir -Recurse -Force
            }
        }
    }
}

function Import-PlatyPS {
    # platyPS 0.14 (the module with New-ExternalHelp). When it is missing it is installed from the
    # PowerShell Gallery for this user, where Install-Module exists; otherwise the build stops
    # with one line saying how to get it.
    $platyPS = Get-Module -ListAvailable -Name 'platyPS' | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $platyPS) {
        if (-not (Get-Command -Name 'Install-Module' -ErrorAction SilentlyContinue)) {
            $script:oneLineFailure = ('platyPS is needed to build the help and this PowerShell has no Install-Module: ' +
                'install platyPS 0.14 (https://www.powershellgallery.com/packages/platyPS) into a folder on $env:PSModulePath, then run build.ps1 again.')
            throw $script:oneLineFailure
        }
        Write-Host 'platyPS is not installed: Install-Module platyPS -Scope CurrentUser (from the PowerShell Gallery)'
        Install-Module -Name 'platyPS' -Scope CurrentUser -Repository 'PSGallery' -Force
        $platyPS = Get-Module -ListAvailable -Name 'platyPS' | Sort-Object Version -Descending | Select-Object -First 1
        if (-not $platyPS) {
            throw 'Install-Module platyPS ran but platyPS is still not found on $env:PSModulePath.'
        }
    }
    Write-Host "Building en-US help with platyPS $($platyPS.Version) (New-ExternalHelp)"
    Import-Module -ModuleInfo $platyPS
}

function Invoke-Staging {
    # Compiles, then stages the manifest, assemblies, format file, license and en-US help.
    # Compile. The version is passed down so the assemblies carry the manifest's version.
    $project = Join-Path (Join-Path $srcRoot 'TcpClose') 'TcpClose.csproj'
    $publishDir = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-publish-' + [guid]::NewGuid().ToString('N'))
    try {
        Write-Host "Publishing $project ($Configuration, version $version)"
        dotnet publish $project --configuration $Configuration --output $publishDir --nologo --disable-build-servers "-p:Version=$version"
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
    # The example suites users copy (about_TcpClose points to them), shipped in the module's Examples.
    if (Test-Path -LiteralPath $examplesRoot) {
        Copy-Item -LiteralPath $examplesRoot -Destination (Join-Path $moduleRoot 'Examples') -Recurse
    }

    # External help from the platyPS markdown, with platyPS's New-ExternalHelp: every cmdlet page
    # becomes TcpClose.dll-Help.xml (the name in its 'external help file' header, the one Get-Help
    # looks for beside a binary module) and about_TcpClose.md becomes about_TcpClose.help.txt.
    $helpRoot = Join-Path $moduleRoot 'en-US'
    if (-not (Test-Path -LiteralPath $docsRoot)) {
        throw "No docs in ${docsRoot}: the en-US help cannot be built."
    }
    Import-PlatyPS
    New-ExternalHelp -Path $docsRoot -OutputPath $helpRoot -Force | Out-Null
    foreach ($expected in 'TcpClose.dll-Help.xml', 'about_TcpClose.help.txt') {
        if (-not (Test-Path -LiteralPath (Join-Path $helpRoot $expected))) {
            throw "platyPS wrote no $expected in ${helpRoot}: Get-Help finds binary cmdlet help only under TcpClose.dll-Help.xml (set 'external help file: TcpClose.dll-Help.xml' in each docs page)."
        }
    }

    Write-Host "Staged TcpClose $version in $moduleRoot"
}

$relativeManifest = Join-Path (Join-Path (Join-Path (Join-Path '.' 'out') 'TcpClose') $version) 'TcpClose.psd1'

if (-not $Test) {
    $oneLineFailure = $null
    try {
        Invoke-Staging
    }
    catch {
        if ($oneLineFailure) {
            # A failure whose message says all the user needs: that one line, no error record.
            [Console]::Error.WriteLine($oneLineFailure)
            exit 1
        }
        throw
    }
    Write-Host "Import-Module $relativeManifest"
    exit 0
}

# ---- -Test: every part runs even when an earlier one failed; the results folder is summed. ----

$resultsDir = Join-Path $outRoot 'test-results'
if (Test-Path -LiteralPath $resultsDir) {
    Remove-Item -LiteralPath $resultsDir -Recurse -Force
}
New-Item -ItemType Directory -Path $resultsDir -Force | Out-Null

# Parts that failed without a failed test to show for it (a build error, a crashed runner).
$brokenParts = New-Object System.Collections.Generic.List[string]

function Invoke-PesterLane {
    <#
    Runs tools/PesterTest.ps1 (every tests/*.Tests.ps1 and docs/examples/*.Tests.ps1) in a fresh
    PowerShell against the staged module and writes the NUnit XML to out/test-results/pester-<Lane>.xml. -Command is the
    PowerShell to start and any arguments before -File (a lane for another PowerShell, e.g.
    pwsh-windows under Wine, is one more call); paths are passed as this machine sees them.
    #>
    param(
        [Parameter(Mandatory = $true)] [string]$Lane,
        [Parameter(Mandatory = $true)] [string[]]$Command,
        # Put before every path handed to the child: 'Z:' when it is a Windows program under Wine.
        [string]$PathPrefix = ''
    )
    $runner = Join-Path $toolsRoot 'PesterTest.ps1'
    $resultPath = Join-Path $resultsDir "pester-$Lane.xml"
    $exe = $Command[0]
    $arguments = @($Command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass',
        '-File', ($PathPrefix + $runner), '-TestPath', ($PathPrefix + $testsRoot), '-ExamplesPath', ($PathPrefix + $examplesRoot),
        '-ResultPath', ($PathPrefix + $resultPath))
    Write-Host "Pester ($Lane): $exe"
    $previous = $env:TCPCLOSE_MODULE_PATH
    $env:TCPCLOSE_MODULE_PATH = $PathPrefix + $stagedManifest
    try {
        & $exe @arguments
        $exit = $LASTEXITCODE
    }
    catch {
        Write-Host "Pester ($Lane) did not start: $_"
        $exit = -1
    }
    finally {
        $env:TCPCLOSE_MODULE_PATH = $previous
    }
    if ($exit -ne 0 -and -not (Test-Path -LiteralPath $resultPath)) {
        $brokenParts.Add("Pester ($Lane) exited $exit and wrote no $resultPath")
    }
    elseif ($exit -ne 0) {
        # Pester exits with its failure count, which includes failed blocks and containers that
        # have no test-case in the XML; the sum below sees only the test cases.
        $script:exitCodes["pester-$Lane.xml"] = $exit
    }
}
$exitCodes = @{}

$staged = $true
try {
    Invoke-Staging
}
catch {
    $staged = $false
    Write-Host "Build failed: $_" -ForegroundColor Red
    $brokenParts.Add("build: $_")
}

# xunit: one .trx per test project. A build error in a test project writes no .trx and is
# caught by the exit code.
$solution = Join-Path $root 'TcpClose.sln'
dotnet test $solution --configuration $Configuration --nologo --disable-build-servers --logger trx --results-directory $resultsDir
if ($LASTEXITCODE -ne 0 -and -not (Get-ChildItem -LiteralPath $resultsDir -Filter '*.trx' -File)) {
    $brokenParts.Add("dotnet test exited $LASTEXITCODE and wrote no .trx")
}
elseif ($LASTEXITCODE -ne 0) {
    $exitCodes['dotnet test'] = $LASTEXITCODE
}

# Pester, in a child PowerShell of the same edition, so the module is tested where it will run
# and the DLL it loads goes away with the child.
$pester = Get-Module -ListAvailable -Name 'Pester' | Where-Object { $_.Version -ge [version]'5.0' }
if (-not $staged) {
    $brokenParts.Add('Pester: not run, the module was not staged')
}
elseif (-not $pester) {
    $brokenParts.Add('Pester: Pester 5 is required and was not found (Windows PowerShell ships Pester 3.4); ' +
        'install it with: Install-Module Pester -MinimumVersion 5.0 -Scope CurrentUser -Force -SkipPublisherCheck')
}
else {
    if ($PSVersionTable.PSEdition -eq 'Core') {
        $exeName = 'pwsh'
        if ($onWindows) {
            $exeName = 'pwsh.exe'
        }
        $lane = 'pwsh'
    }
    else {
        $exeName = 'powershell.exe'
        $lane = 'powershell'
    }
    Invoke-PesterLane -Lane $lane -Command @(Join-Path $PSHOME $exeName)
}

# The Windows lane: on Linux, the same Pester suite in PowerShell for Windows under Wine
# (pwsh-windows, from ../shared/pwsh/install-windows.sh), so the module's Windows code paths run:
# GetExtendedTcpTable, the TcpTimedWaitDelay estimate, SO_EXCLUSIVEADDRUSE, the Windows texts.
# It runs in a private copy of the Wine prefix (out/wine-prefix: hard links for the read-only
# Windows files, real copies of the registry and the user folders), so the registry changes of
# the tests and `wineserver -k` at the end touch no other Wine user; the prefix and the wineserver's
# folder in /tmp go at the end. Bounded: a hung Wine is killed after 20 minutes.
$pwshWindows = Get-Command -Name 'pwsh-windows' -CommandType Application -ErrorAction Ignore | Select-Object -First 1
if ($onWindows -or -not ($staged -and $pester)) {
    # On Windows the lane above is the Windows lane; without a staged module or Pester it cannot run.
}
elseif (-not $pwshWindows) {
    Write-Host 'Windows lane: not run, pwsh-windows is not installed (bash ../shared/pwsh/install-windows.sh installs it)'
}
else {
    $basePrefix = $env:WINEPREFIX
    if (-not $basePrefix) {
        $basePrefix = Join-Path $HOME '.cache/tcpclose-wine'
    }
    $winePrefix = Join-Path $outRoot 'wine-prefix'
    $previousPrefix = $env:WINEPREFIX
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        if (Test-Path -LiteralPath $winePrefix) {
            Remove-Item -LiteralPath $winePrefix -Recurse -Force
        }
        if (Test-Path -LiteralPath (Join-Path $basePrefix 'system.reg')) {
            & cp -a --link $basePrefix $winePrefix 2>$null
            if ($LASTEXITCODE -ne 0) {
                # Another file system than the base prefix: no hard links, a full copy (~700 MB).
                Remove-Item -LiteralPath $winePrefix -Recurse -Force -ErrorAction Ignore
                & cp -a $basePrefix $winePrefix
            }
            foreach ($own in @(Get-ChildItem -LiteralPath $winePrefix -Filter '*.reg' -File) + @(Get-Item -LiteralPath (Join-Path $winePrefix 'drive_c/users'))) {
                $from = Join-Path $basePrefix $own.FullName.Substring($winePrefix.Length)
                Remove-Item -LiteralPath $own.FullName -Recurse -Force
                & cp -a $from $own.FullName
            }
            # The name of the wineserver's folder in TMPDIR (Debian's Wine); the copy gets its own.
            Remove-Item -LiteralPath (Join-Path $winePrefix 'wineserver') -Force -ErrorAction Ignore
        }
        $env:WINEPREFIX = $winePrefix
        # Seen here twice with three Wine lanes and three builds at once on 2 cores: Wine stalls
        # (every thread waiting on the wineserver) and the lane writes nothing until it is killed.
        # A normal lane takes 1.5-3 minutes, so each attempt is killed after 10; an attempt killed
        # with no result file is said loudly and run once more in a fresh wineserver. A test that
        # fails is never run again: only a hang without results gets the second attempt.
        $laneResult = Join-Path $resultsDir 'pester-pwsh-windows.xml'
        foreach ($attempt in 1, 2) {
            $brokenBefore = $brokenParts.Count
            Invoke-PesterLane -Lane 'pwsh-windows' -PathPrefix 'Z:' -Command @('timeout', '--kill-after=10', '600', $pwshWindows.Source)
            $hung = $LASTEXITCODE -in 124, 137 -and -not (Test-Path -LiteralPath $laneResult)
            if (-not $hung -or $attempt -eq 2) {
                break
            }
            Write-Host "WARNING: Windows lane (Wine) attempt $attempt was killed after 10 minutes with no results (a Wine stall); running it once more" -ForegroundColor Yellow
            $brokenParts.RemoveRange($brokenBefore, $brokenParts.Count - $brokenBefore)
            & wineserver -k 2>$null
            & wineserver -w 2>$null
        }
    }
    finally {
        # No Wine process outlives the run; then the prefix and the server's /tmp folder go.
        if ($env:WINEPREFIX -eq $winePrefix) {
            & wineserver -k 2>$null
            & wineserver -w 2>$null
        }
        $env:WINEPREFIX = $previousPrefix
        $serverDirFile = Join-Path $winePrefix 'wineserver'
        if (Test-Path -LiteralPath $serverDirFile) {
            $serverDir = (Get-Content -LiteralPath $serverDirFile -Raw).Trim()
            if ($serverDir -match '^wine-[A-Za-z0-9]+$') {
                Remove-Item -LiteralPath (Join-Path ([System.IO.Path]::GetTempPath()) $serverDir) -Recurse -Force -ErrorAction Ignore
            }
        }
        Remove-Item -LiteralPath $winePrefix -Recurse -Force -ErrorAction Ignore
    }
    Write-Host ('Windows lane (Wine): {0:0} s' -f $clock.Elapsed.TotalSeconds)
}

# ---- The sum: every result file in out/test-results/ counts, whichever part wrote it. ----
$passed = 0
$failed = 0
$skipped = 0
$files = @(Get-ChildItem -LiteralPath $resultsDir -File | Where-Object { $_.Extension -in '.trx', '.xml' } | Sort-Object Name)
foreach ($file in $files) {
    $p = 0; $f = 0; $s = 0
    try {
        $xml = New-Object System.Xml.XmlDocument
        $xml.Load($file.FullName)
        if ($file.Extension -eq '.trx') {
            # VSTest: <UnitTestResult outcome="Passed|Failed|NotExecuted|...">, in a namespace.
            $outcomes = @($xml.SelectNodes("//*[local-name()='UnitTestResult']") | ForEach-Object { $_.GetAttribute('outcome') })
        }
        else {
            # NUnit 2.5 (Pester's NUnitXml: Success|Failure|Error|Ignored|...) or NUnit 3
            # (Passed|Failed|Skipped|Inconclusive): one <test-case result="..."> per test.
            $outcomes = @($xml.SelectNodes('//test-case') | ForEach-Object { $_.GetAttribute('result') })
        }
        foreach ($outcome in $outcomes) {
            if ($outcome -in 'Passed', 'Success') { $p++ }
            elseif ($outcome -in 'NotExecuted', 'Skipped', 'Ignored', 'Inconclusive', 'Pending') { $s++ }
            else { $f++ }
        }
    }
    catch {
        $brokenParts.Add("$($file.Name) could not be read: $($_.Exception.Message)")
    }
    Write-Host ('{0,-48} {1,5} passed, {2,3} failed, {3,3} skipped' -f $file.Name, $p, $f, $s)
    if ($exitCodes.ContainsKey($file.Name) -and $f -eq 0) {
        $brokenParts.Add("$($file.Name): its run exited $($exitCodes[$file.Name]) with no failed test case (a failed BeforeAll or container? see above)")
    }
    $passed += $p; $failed += $f; $skipped += $s
}
if ($exitCodes.ContainsKey('dotnet test') -and $failed -eq 0) {
    $brokenParts.Add("dotnet test exited $($exitCodes['dotnet test']) with no failed test (a build error? see above)")
}
if ($passed + $failed -eq 0) {
    $brokenParts.Add("no test ran (no result in $resultsDir)")
}

# What the run left in its private temp folder, less what the dotnet CLI itself leaves there
# (empty six-letter folders, dotnet/sdk#35353; NuGet's and MSBuild's scratch folders).
# The .NET runtime's own IPC files (debugger and diagnostics pipes, the PowerShell host pipe) stay
# behind when a process is killed rather than ended (Stop-Process -Force); they go with the folder
# and are reported, not failed.
$leftInTemp = @(Get-ChildItem -LiteralPath $env:TCPCLOSE_BUILD_TEMP -Force | Where-Object {
        -not (($_.PSIsContainer -and $_.Name -match '^[A-Za-z0-9]{6}$' -and -not (Get-ChildItem -LiteralPath $_.FullName -Force)) -or
            $_.Name -like 'NuGetScratch*' -or $_.Name -like 'MSBuildTemp*')
    } | ForEach-Object { $_.Name })
$runtimePipes = @($leftInTemp | Where-Object { $_ -match '^(clr-debug-pipe-|dotnet-diagnostic-|CoreFxPipe_)' })
if ($runtimePipes.Count -gt 0) {
    $killed = @($runtimePipes | ForEach-Object { if ($_ -match '^(?:clr-debug-pipe|dotnet-diagnostic)-(\d+)-') { $Matches[1] } } | Sort-Object -Unique)
    Write-Host "note: $($runtimePipes.Count) .NET runtime pipe file(s) of $($killed.Count) killed process(es) ($($killed -join ', ')) were left in the temp folder and go with it"
    $leftInTemp = @($leftInTemp | Where-Object { $_ -notin $runtimePipes })
}
if ($leftInTemp.Count -gt 0) {
    $brokenParts.Add("the run left in the temp folder (a test or the build does not clean up): $($leftInTemp -join ', ')")
}
foreach ($broken in $brokenParts) {
    Write-Host "FAILED: $broken" -ForegroundColor Red
}
Write-Host "Results: $resultsDir"
Write-Host "$passed passed, $failed failed, $skipped skipped"
if ($failed -gt 0 -or $brokenParts.Count -gt 0) {
    exit 1
}
exit 0
