<#
.SYNOPSIS
The TcpClose build's named tasks, run by Invoke-Build (build.ps1 restores it and starts it).

.DESCRIPTION
Each task can be run and read alone, from the repository root:

    ./build.ps1 -Task Build            # compile, stage out/TcpClose/<version>/, build the help
    ./build.ps1 -Task Build, Package   # ... and out/packages/TcpClose.<version>.nupkg
    ./build.ps1 -Task TestXunit        # one test part alone (after Build)

Test runs every test part (xunit with coverage, Pester 5 in pwsh, the example and help suites
under Pester 6, Pester 5 in pwsh-windows under Wine) even when an earlier part failed, then sums
every result file in out/test-results/. A test part records what broke instead of stopping the
build; Summary fails the build when a test failed, a part broke without results, or none ran.
build.ps1 prints the closing "N passed, N failed, N skipped" line last.

The pinned tools are handed in by build.ps1: $PesterModules (version -> Pester.psd1),
$ModulesPath (the project's own folder of modules: platyPS when it is not installed).
#>
param(
    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',

    # Pester.psd1 of each pinned Pester, by major version ('5', '6'), restored by build.ps1.
    [hashtable]$PesterModules = @{},

    # The project's folder of modules (out/tools/Modules), where platyPS goes when it is missing.
    [string]$ModulesPath = (Join-Path $BuildRoot 'out/tools/Modules')
)

Set-StrictMode -Version Latest

$script:onWindows = $true
if ($PSVersionTable.PSEdition -eq 'Core') {
    $script:onWindows = $IsWindows
}
$script:manifestPath = Join-Path $BuildRoot 'TcpClose.psd1'
$script:version = (Import-PowerShellDataFile -Path $manifestPath).ModuleVersion
$script:outRoot = Join-Path $BuildRoot 'out'
$script:moduleRoot = Join-Path (Join-Path $outRoot 'TcpClose') $version
$script:stagedManifest = Join-Path $moduleRoot 'TcpClose.psd1'
$script:srcRoot = Join-Path $BuildRoot 'src'
$script:testsRoot = Join-Path $BuildRoot 'tests'
$script:examplesRoot = Join-Path (Join-Path $BuildRoot 'docs') 'examples'
$script:docsRoot = Join-Path (Join-Path $BuildRoot 'docs') 'en-US'
$script:toolsRoot = Join-Path $BuildRoot 'tools'
$script:packagesRoot = Join-Path $outRoot 'packages'
$script:resultsDir = Join-Path $outRoot 'test-results'
# Parts that failed without a failed test to show for it (a build error, a crashed runner), and
# the exit codes of parts that exited non-zero, checked against their result files by Summary.
$script:brokenParts = New-Object System.Collections.Generic.List[string]
$script:exitCodes = @{}
$script:untrackedBefore = @()

# The PowerShell a child is started with: the one running this build, from $PSHOME (never the
# process path: under pwsh installed as a .NET tool that is `dotnet`).
function Get-ChildPowerShell {
    if ($PSVersionTable.PSEdition -ne 'Core') { return Join-Path $PSHOME 'powershell.exe' }
    if ($onWindows) { return Join-Path $PSHOME 'pwsh.exe' }
    Join-Path $PSHOME 'pwsh'
}

# The CHANGELOG.md section of one version: what the package's ReleaseNotes say.
function Get-ReleaseNotes([string]$Version) {
    $changelog = Get-Content -LiteralPath (Join-Path $BuildRoot 'CHANGELOG.md') -Raw
    $match = [regex]::Match($changelog, "(?ms)^## \[?$([regex]::Escape($Version))\]?[^\r\n]*\r?\n(.*?)(?=^## |\z)")
    if (-not $match.Success) {
        throw "CHANGELOG.md has no '## $Version' section: add one before building version $Version."
    }
    $match.Groups[1].Value.Trim()
}

# Runs a script in a child PowerShell with a private HOME, so nothing of the user's is read or
# written: PSResourceGet's repository list, NuGet's settings, module caches. The XDG variables are
# unset (everything is then the default under HOME); on Windows the AppData folders move too.
function Invoke-IsolatedPowerShell([string]$Script, [string]$PSModulePath) {
    $privateHome = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-home-' + [guid]::NewGuid().ToString('N'))
    # The folders exist: .NET's GetFolderPath answers '' for a missing one, and NuGet (inside
    # Publish-PSResource) then writes NuGet/NuGet.Config relative to the working directory.
    foreach ($folder in '.config', '.local/share', '.cache') {
        New-Item -ItemType Directory -Path (Join-Path $privateHome $folder) -Force | Out-Null
    }
    $values = @{
        HOME = $privateHome; USERPROFILE = $privateHome; PSModulePath = $PSModulePath
        XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null
    }
    if ($onWindows) {
        $values['LOCALAPPDATA'] = Join-Path $privateHome 'AppData\Local'
        $values['APPDATA'] = Join-Path $privateHome 'AppData\Roaming'
    }
    $saved = @{}
    foreach ($name in $values.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    try {
        foreach ($name in $values.Keys) { [Environment]::SetEnvironmentVariable($name, $values[$name]) }
        & (Get-ChildPowerShell) -NoProfile -NonInteractive -Command $Script
        if ($LASTEXITCODE -ne 0) { throw "The child PowerShell exited $LASTEXITCODE." }
    }
    finally {
        foreach ($name in $values.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        Remove-Item -LiteralPath $privateHome -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# Synopsis: Remove out/ and every bin/ and obj/ under src/, tests/ and tools/.
task Clean {
    remove $outRoot
    foreach ($projectDir in (Get-ChildItem -LiteralPath $srcRoot, $testsRoot, $toolsRoot -Directory)) {
        remove (Join-Path $projectDir.FullName 'bin'), (Join-Path $projectDir.FullName 'obj')
    }
}

# Synopsis: Compile, then stage the manifest, assemblies, format file, license, examples and help.
task Build {
    # The version is passed down so the assemblies carry the manifest's version.
    $project = Join-Path (Join-Path $srcRoot 'TcpClose') 'TcpClose.csproj'
    $publishDir = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-publish-' + [guid]::NewGuid().ToString('N'))
    try {
        Write-Build Cyan "Publishing $project ($Configuration, version $version)"
        exec { dotnet publish $project --configuration $Configuration --output $publishDir --nologo --disable-build-servers "-p:Version=$version" }

        # Stage by name, not by copying the publish folder: never a System.Management.Automation.dll
        # (PowerShellStandard's is a reference stub; PowerShell brings the real one), no deps.json or pdbs.
        remove $moduleRoot
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
        remove $publishDir
    }
    # The staged manifest is the source with its ReleaseNotes taken from CHANGELOG.md.
    $notes = (Get-ReleaseNotes $version) -replace "'", "''"
    $manifestText = Get-Content -LiteralPath $manifestPath -Raw
    $marker = "ReleaseNotes = ''"
    if (-not $manifestText.Contains($marker)) {
        throw "TcpClose.psd1 has no `"$marker`" line for the build to fill from CHANGELOG.md."
    }
    $manifestText = $manifestText.Replace($marker, "ReleaseNotes = '$notes'")
    [System.IO.File]::WriteAllText($stagedManifest, $manifestText, (New-Object System.Text.UTF8Encoding $false))
    Copy-Item -LiteralPath (Join-Path (Join-Path $srcRoot 'TcpClose') 'TcpClose.Format.ps1xml') -Destination $moduleRoot
    Copy-Item -LiteralPath (Join-Path $BuildRoot 'LICENSE') -Destination $moduleRoot
    # The example suites users copy (about_TcpClose points to them), shipped in the module's Examples.
    if (Test-Path -LiteralPath $examplesRoot) {
        Copy-Item -LiteralPath $examplesRoot -Destination (Join-Path $moduleRoot 'Examples') -Recurse
    }

    # External help from the platyPS markdown, with platyPS's New-ExternalHelp: every cmdlet page
    # becomes TcpClose.dll-Help.xml (the name in its 'external help file' header, the one Get-Help
    # looks for beside a binary module) and about_TcpClose.md becomes about_TcpClose.help.txt.
    $helpRoot = Join-Path $moduleRoot 'en-US'
    $platyPS = Get-Module -ListAvailable -Name 'platyPS' | Where-Object { $_.Version -lt [version]'1.0' } |
        Sort-Object Version -Descending | Select-Object -First 1
    if (-not $platyPS) {
        # platyPS is served by the PowerShell Gallery, not NuGet: saved into the project's own
        # module folder (nothing is installed for the user) where a gallery answers.
        $save = Get-Command -Name 'Save-PSResource' -ErrorAction SilentlyContinue
        if ($save) {
            Write-Build Yellow "platyPS 0.14 is not on PSModulePath: Save-PSResource platyPS -Path $ModulesPath"
            New-Item -ItemType Directory -Path $ModulesPath -Force | Out-Null
            try {
                Save-PSResource -Name 'platyPS' -Version '[0.14.2,1.0)' -Path $ModulesPath -TrustRepository -ErrorAction Stop
            }
            catch {
                Write-Build Yellow "Save-PSResource platyPS failed: $($_.Exception.Message)"
            }
            $platyPS = Get-Module -ListAvailable -Name (Join-Path $ModulesPath 'platyPS') -ErrorAction SilentlyContinue |
                Sort-Object Version -Descending | Select-Object -First 1
        }
        if (-not $platyPS) {
            throw ('platyPS 0.14 is needed to build the help and was not found: put platyPS 0.14 ' +
                "(https://www.powershellgallery.com/packages/platyPS) into $ModulesPath or another folder on PSModulePath, then run build.ps1 again.")
        }
    }
    Write-Build Cyan "Building en-US help with platyPS $($platyPS.Version) (New-ExternalHelp)"
    Import-Module -ModuleInfo $platyPS
    New-ExternalHelp -Path $docsRoot -OutputPath $helpRoot -Force | Out-Null
    foreach ($expected in 'TcpClose.dll-Help.xml', 'about_TcpClose.help.txt') {
        if (-not (Test-Path -LiteralPath (Join-Path $helpRoot $expected))) {
            throw "platyPS wrote no $expected in ${helpRoot}: Get-Help finds binary cmdlet help only under TcpClose.dll-Help.xml (set 'external help file: TcpClose.dll-Help.xml' in each docs page)."
        }
    }
    Write-Build Green "Staged TcpClose $version in $moduleRoot"
}

# Synopsis: Write out/packages/TcpClose.<version>.nupkg with Publish-PSResource (a file repository).
# It builds first (Build runs once per call, so -Task Build, Package builds once too).
task Package Build, {
    remove $packagesRoot
    New-Item -ItemType Directory -Path $packagesRoot -Force | Out-Null
    # Published from a copy without the folder's version level (Publish-PSResource wants the
    # module folder), to a file repository registered only in the child's private HOME.
    $work = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-package-' + [guid]::NewGuid().ToString('N'))
    try {
        $source = Join-Path $work 'TcpClose'
        New-Item -ItemType Directory -Path $work | Out-Null
        Copy-Item -LiteralPath $moduleRoot -Destination $source -Recurse
        $script = {
            param($source, $repository)
            $ErrorActionPreference = 'Stop'
            Register-PSResourceRepository -Name 'TcpCloseBuild' -Uri $repository -Trusted
            Publish-PSResource -Path $source -Repository 'TcpCloseBuild'
        }.ToString()
        Write-Build Cyan "Publish-PSResource -Path $moduleRoot -> $packagesRoot"
        Invoke-IsolatedPowerShell -Script "& { $script } '$($source -replace "'", "''")' '$($packagesRoot -replace "'", "''")'" -PSModulePath ''
    }
    finally {
        remove $work
    }
    $package = Join-Path $packagesRoot "TcpClose.$version.nupkg"
    if (-not (Test-Path -LiteralPath $package)) {
        throw "Publish-PSResource wrote no $package."
    }
    # The package holds the module and its help, nothing else: its file list is checked here, so
    # a stray file (a test, a pdb) fails the build rather than reaching users.
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [System.IO.Compression.ZipFile]::OpenRead($package)
    try {
        $files = @($zip.Entries | ForEach-Object { $_.FullName } | Where-Object {
                $_ -notmatch '^(_rels/|package/|\[Content_Types\]\.xml$|TcpClose\.nuspec$)' } | Sort-Object)
    }
    finally {
        $zip.Dispose()
    }
    $allowed = '^(TcpClose\.psd1|TcpClose\.dll|TcpClose\.Core\.dll|TcpClose\.Format\.ps1xml|LICENSE|en-US/[^/]+|Examples/[^/]+\.ps1)$'
    $stray = @($files | Where-Object { $_ -notmatch $allowed })
    if ($stray) {
        throw "The package holds files that are not the module or its help: $($stray -join ', ')"
    }
    Write-Build Green "Packaged $package ($($files.Count) files: $($files -join ', '))"
}

# Synopsis: The xunit suites (dotnet test), with line coverage of TcpClose.dll and TcpClose.Core.dll.
task TestXunit {
    $solution = Join-Path $BuildRoot 'TcpClose.sln'
    $settings = Join-Path $testsRoot 'coverage.runsettings'
    dotnet test $solution --configuration $Configuration --nologo --disable-build-servers --logger trx `
        --results-directory $resultsDir --collect 'XPlat Code Coverage' --settings $settings
    $exit = $LASTEXITCODE
    if ($exit -ne 0 -and -not (Get-ChildItem -LiteralPath $resultsDir -Filter '*.trx' -File)) {
        $brokenParts.Add("dotnet test exited $exit and wrote no .trx")
    }
    elseif ($exit -ne 0) {
        $exitCodes['dotnet test'] = $exit
    }
    # coverlet writes one Cobertura file per test project (under a GUID folder, beside the trx);
    # the lines each project covers are merged per assembly into out/test-results/coverage.cobertura.xml.
    $reports = @(Get-ChildItem -LiteralPath $resultsDir -Recurse -Filter 'coverage.cobertura.xml' -File | Where-Object { $_.DirectoryName -ne $resultsDir })
    if (-not $reports) {
        $brokenParts.Add('coverage: coverlet wrote no coverage.cobertura.xml')
        return
    }
    & (Join-Path $toolsRoot 'Merge-Coverage.ps1') -Path $reports.FullName -OutputPath (Join-Path $resultsDir 'coverage.cobertura.xml')
    foreach ($report in $reports) {
        Remove-Item -LiteralPath $report.Directory.FullName -Recurse -Force
    }
}

# Runs tools/PesterTest.ps1 in a fresh PowerShell against the staged module, writing the NUnit XML
# to out/test-results/pester-<Lane>.xml. -Command is the PowerShell to start and any arguments
# before -File; -PathPrefix goes before every path handed to the child ('Z:' under Wine).
function Invoke-PesterLane {
    param(
        [Parameter(Mandatory = $true)] [string]$Lane,
        [Parameter(Mandatory = $true)] [string[]]$Command,
        [Parameter(Mandatory = $true)] [string]$PesterModule,
        [string[]]$TestPath = @($testsRoot, $examplesRoot),
        [string]$PathPrefix = ''
    )
    $runner = Join-Path $toolsRoot 'PesterTest.ps1'
    $resultPath = Join-Path $resultsDir "pester-$Lane.xml"
    $exe = $Command[0]
    $arguments = @($Command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass',
        '-File', ($PathPrefix + $runner), '-PesterPath', ($PathPrefix + $PesterModule),
        '-ResultPath', ($PathPrefix + $resultPath),
        # One argument: -File binds each further word to a parameter of its own.
        '-TestPath', (@($TestPath | ForEach-Object { $PathPrefix + $_ }) -join '|'))
    Write-Build Cyan "Pester ($Lane): $exe, Pester from $PesterModule"
    $previous = $env:TCPCLOSE_MODULE_PATH
    $env:TCPCLOSE_MODULE_PATH = $PathPrefix + $stagedManifest
    try {
        & $exe @arguments
        $exit = $LASTEXITCODE
    }
    catch {
        Write-Build Red "Pester ($Lane) did not start: $_"
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
        $exitCodes["pester-$Lane.xml"] = $exit
    }
    $exit
}

function Test-Staged {
    if (Test-Path -LiteralPath $stagedManifest) { return $true }
    $brokenParts.Add("Pester: not run, no staged module at $stagedManifest")
    $false
}

# Synopsis: The Pester suite (tests/ and docs/examples/) under Pester 5 in a child of this PowerShell.
task TestPester {
    if (-not (Test-Staged)) { return }
    $lane = if ($PSVersionTable.PSEdition -eq 'Core') { 'pwsh' } else { 'powershell' }
    $null = Invoke-PesterLane -Lane $lane -Command @(Get-ChildPowerShell) -PesterModule $PesterModules['5']
}

# Synopsis: What users' suites run under Pester 6: the example suites and the help examples.
task TestPester6 {
    if (-not (Test-Staged)) { return }
    $null = Invoke-PesterLane -Lane 'pwsh-pester6' -Command @(Get-ChildPowerShell) -PesterModule $PesterModules['6'] `
        -TestPath @($examplesRoot, (Join-Path $testsRoot 'Help.Tests.ps1'))
}

# Synopsis: On Linux, the Pester suite in PowerShell 7 for Windows under Wine (pwsh-windows).
task TestWindows {
    # On Windows TestPester is the Windows lane; without a staged module it cannot run.
    if ($onWindows -or -not (Test-Staged)) { return }
    $pwshWindows = Get-Command -Name 'pwsh-windows' -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if (-not $pwshWindows) {
        Write-Build Yellow 'Windows lane: not run, pwsh-windows is not installed'
        return
    }
    # It runs in a private copy of the Wine prefix (out/wine-prefix: hard links for the read-only
    # Windows files, real copies of the registry and the user folders), so the registry changes
    # of the tests and `wineserver -k` at the end touch no other Wine user; the prefix and the
    # wineserver's folder in the temp folder go at the end.
    $basePrefix = $env:WINEPREFIX
    if (-not $basePrefix) {
        $basePrefix = Join-Path $HOME '.cache/tcpclose-wine'
    }
    $winePrefix = Join-Path $outRoot 'wine-prefix'
    $previousPrefix = $env:WINEPREFIX
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        remove $winePrefix
        if (Test-Path -LiteralPath (Join-Path $basePrefix 'system.reg')) {
            & cp -a --link $basePrefix $winePrefix 2>$null
            if ($LASTEXITCODE -ne 0) {
                # Another file system than the base prefix: no hard links, a full copy (~700 MB).
                remove $winePrefix
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
        # Seen with three Wine lanes and three builds at once on 2 cores: Wine stalls (every
        # thread waiting on the wineserver) and the lane writes nothing until it is killed. A
        # normal lane takes 1.5-3 minutes, so each attempt is killed after 10; an attempt killed
        # with no result file is said loudly and run once more in a fresh wineserver. A test that
        # fails is never run again: only a hang without results gets the second attempt.
        $laneResult = Join-Path $resultsDir 'pester-pwsh-windows.xml'
        foreach ($attempt in 1, 2) {
            $brokenBefore = $brokenParts.Count
            $exit = Invoke-PesterLane -Lane 'pwsh-windows' -PathPrefix 'Z:' -PesterModule $PesterModules['5'] `
                -Command @('timeout', '--kill-after=10', '600', $pwshWindows.Source)
            $hung = $exit -in 124, 137 -and -not (Test-Path -LiteralPath $laneResult)
            if (-not $hung -or $attempt -eq 2) {
                break
            }
            Write-Build Yellow "WARNING: Windows lane (Wine) attempt $attempt was killed after 10 minutes with no results (a Wine stall); running it once more"
            $brokenParts.RemoveRange($brokenBefore, $brokenParts.Count - $brokenBefore)
            & wineserver -k 2>$null
            & wineserver -w 2>$null
        }
    }
    finally {
        # No Wine process outlives the run; then the prefix and the server's temp folder go.
        if ($env:WINEPREFIX -eq $winePrefix) {
            & wineserver -k 2>$null
            & wineserver -w 2>$null
        }
        $env:WINEPREFIX = $previousPrefix
        $serverDirFile = Join-Path $winePrefix 'wineserver'
        if (Test-Path -LiteralPath $serverDirFile) {
            $serverDir = (Get-Content -LiteralPath $serverDirFile -Raw).Trim()
            if ($serverDir -match '^wine-[A-Za-z0-9]+$') {
                remove (Join-Path ([System.IO.Path]::GetTempPath()) $serverDir)
            }
        }
        remove $winePrefix
    }
    Write-Build Cyan ('Windows lane (Wine): {0:0} s' -f $clock.Elapsed.TotalSeconds)
}

# Files in the work tree that git neither tracks nor ignores: a test or the build that writes one
# (a path resolved against the working directory by mistake) is caught by Summary.
function Get-UntrackedFile {
    if (-not (Test-Path -LiteralPath (Join-Path $BuildRoot '.git')) -or -not (Get-Command git -ErrorAction Ignore)) { return @() }
    @(git -C $BuildRoot ls-files --others --exclude-standard)
}

# Synopsis: Empty out/test-results/ before the test parts write into it.
# The benchmarks behind docs/performance.md: its section name, then the command from the repository
# root (benchmarks build what they need; the module is staged by Build).
$script:Benchmarks = [ordered]@{
    'readers'    = 'dotnet run -c Release --project tests/TcpClose.Benchmarks -- --timewait 40000 --runs 5'
    'pwsh-rows'  = 'pwsh -NoProfile -File tests/TcpClose.Benchmarks/TimeWait.Bench.ps1'
    'port-usage' = 'pwsh -NoProfile -File tests/TcpClose.Benchmarks/Measure-PortUsage.ps1'
    'owners'     = 'pwsh -NoProfile -File tests/TcpClose.Benchmarks/Owners.Bench.ps1 -Processes 400,1600'
    'fleet'      = 'pwsh -NoProfile -File tests/TcpClose.Benchmarks/Fleet.Bench.ps1'
    'removal'    = 'dotnet run -c Release --project tests/TcpClose.Benchmarks -- --remove 50000 --runs 5'
    'probes'     = 'dotnet run -c Release --project tests/TcpClose.Benchmarks -- --probe 2000'
    'namespaces' = 'pwsh -NoProfile -File tests/TcpClose.Benchmarks/Namespaces.Bench.ps1 -NoBuild'
    'statistics' = 'pwsh -NoProfile -File tests/TcpClose.Benchmarks/Statistics.Bench.ps1 -NoBuild'
}

# Synopsis: Run every benchmark and rewrite docs/performance.md's figures with what they printed,
# each under the command, the date and the machine (Linux, root). TCPCLOSE_BENCHMARKS (names,
# comma-separated) runs some of them.
task Benchmark Build, {
    if (-not $IsLinux -or "$(id -u)" -ne '0') { throw 'The benchmarks compare with ss, nstat and lsns and make namespaces: Linux, as root.' }
    $only = @("$env:TCPCLOSE_BENCHMARKS" -split ',' | Where-Object { $_ })
    $page = Join-Path $BuildRoot 'docs/performance.md'
    $text = Get-Content -LiteralPath $page -Raw
    $memory = [math]::Round([double]((Get-Content /proc/meminfo -TotalCount 1) -replace '\D') / 1MB)
    $machine = "$([Environment]::ProcessorCount) cores, $memory GiB, $((Get-Content /etc/os-release | Where-Object { $_ -like 'PRETTY_NAME=*' }) -replace '^PRETTY_NAME=|"'), Linux $(uname -r), .NET $([Environment]::Version), PowerShell $($PSVersionTable.PSVersion)"
    $pwsh = Join-Path $PSHOME 'pwsh'
    foreach ($name in $Benchmarks.Keys) {
        if ($only -and $name -notin $only) { continue }
        $command = $Benchmarks[$name]
        $marker = "<!-- benchmark:$name -->"
        if ($text -notmatch [regex]::Escape($marker)) { throw "docs/performance.md has no $marker section" }
        Write-Build Cyan "Benchmark $name`: $command"
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $words = @($command -split ' ')
        $exe = if ($words[0] -eq 'pwsh') { $pwsh } else { $words[0] }
        $output = @(& $exe @($words | Select-Object -Skip 1) 2>&1 | ForEach-Object { "$_" -replace '\x1b\[[0-9;]*m', '' })
        $exit = $LASTEXITCODE
        $output | ForEach-Object { Write-Build Gray $_ }
        if ($exit) { throw "Benchmark $name exited $exit" }
        $when = [DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm', [Globalization.CultureInfo]::InvariantCulture)
        # Build chatter (and its paths of this machine) is not a figure: only what the benchmark printed.
        $body = @($output | Where-Object { $_ -notmatch '^\s*(Determining projects|All projects are up-to-date|Restored |.* -> /|Build succeeded|\d+ Warning|\d+ Error|Time Elapsed|$)' -and $_ -notmatch ': (warning|error) [A-Z]+\d+:' } |
                ForEach-Object { $_.Replace("$BuildRoot/", '') })
        $block = "$marker`n``$command`` on $when UTC ($machine), $([math]::Round($clock.Elapsed.TotalSeconds)) s:`n`n``````text`n$($body -join "`n")`n```````n<!-- /benchmark:$name -->"
        $text = [regex]::Replace($text, "(?s)$([regex]::Escape($marker)).*?<!-- /benchmark:$name -->", { param($m) $block })
        Set-Content -LiteralPath $page -Value $text.TrimEnd() -NoNewline
        Add-Content -LiteralPath $page -Value ''
    }
}

# Synopsis: Every error id the Pester lanes saw a cmdlet raise is on that cmdlet's help page, saying
# whether it is terminating: one test case per cmdlet in out/test-results/docs-error-ids.xml.
task TestErrorIds {
    $files = @(Get-ChildItem -LiteralPath $resultsDir -Filter '*.error-ids.txt' -File -ErrorAction Ignore)
    if (-not $files) {
        Write-Build Yellow 'Error ids: no Pester lane recorded any; nothing to check'
        return
    }
    # The module's own ids (Errors.cs); PowerShell's binder ids (ParameterArgument...) are not the module's to document.
    $ids = @([regex]::Matches((Get-Content -LiteralPath (Join-Path $BuildRoot 'src/TcpClose.Core/Errors.cs') -Raw), 'public const string (\w+) = "\1";') | ForEach-Object { $_.Groups[1].Value })
    $raised = @{}
    foreach ($line in $files | Get-Content) {
        $id, $class = $line -split ','
        if ($id -notin $ids) { continue }
        $noun = $class -replace '^TcpClose\.Commands\.', '' -replace 'Command$', ''
        $raised[$noun] = @(@($raised[$noun]) + $id | Where-Object { $_ } | Sort-Object -Unique)
    }
    $cases = foreach ($page in Get-ChildItem -LiteralPath (Join-Path $BuildRoot 'docs/en-US') -Filter '*-*.md') {
        $cmdlet = $page.BaseName
        $key = $cmdlet -replace '-', ''
        $paragraphs = @((Get-Content -LiteralPath $page.FullName -Raw) -split '\r?\n\s*\r?\n')
        $missing = foreach ($id in @($raised[$key])) {
            if (-not $id) { continue }
            $where = @($paragraphs | Where-Object { $_ -match "``$id``" })
            if (-not $where) { "$id is not on the page" }
            elseif (-not @($where | Where-Object { $_ -match 'terminating' })) { "$id is on the page, but not said to be terminating or not" }
        }
        [pscustomobject]@{ Name = "$cmdlet's page lists the error ids its tests raised ($(@($raised[$key]).Count))"; Missing = @($missing) }
    }
    $xml = [System.Text.StringBuilder]::new('<?xml version="1.0" encoding="utf-8"?><test-results><test-suite name="docs error ids"><results>')
    foreach ($c in $cases) {
        $name = [System.Security.SecurityElement]::Escape($c.Name)
        if ($c.Missing.Count) {
            Write-Build Red "$($c.Name): $($c.Missing -join '; ')"
            $null = $xml.Append("<test-case name=""$name"" result=""Failure""><failure><message>$([System.Security.SecurityElement]::Escape($c.Missing -join '; '))</message></failure></test-case>")
        }
        else {
            $null = $xml.Append("<test-case name=""$name"" result=""Success"" />")
        }
    }
    $null = $xml.Append('</results></test-suite></test-results>')
    Set-Content -LiteralPath (Join-Path $resultsDir 'docs-error-ids.xml') -Value $xml.ToString()
}

task ResetResults {
    remove $resultsDir
    New-Item -ItemType Directory -Path $resultsDir -Force | Out-Null
    $script:untrackedBefore = Get-UntrackedFile
}

# Synopsis: Sum every result file in out/test-results/; fail on a failed test, a broken part or no test.
task Summary {
    $passed = 0
    $failed = 0
    $skipped = 0
    $files = @(Get-ChildItem -LiteralPath $resultsDir -File | Where-Object { $_.Extension -in '.trx', '.xml' -and $_.Name -ne 'coverage.cobertura.xml' } | Sort-Object Name)
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
        Write-Build White ('{0,-48} {1,5} passed, {2,3} failed, {3,3} skipped' -f $file.Name, $p, $f, $s)
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
    $coverage = Join-Path $resultsDir 'coverage.cobertura.xml'
    if (Test-Path -LiteralPath $coverage) {
        $xml = [xml](Get-Content -LiteralPath $coverage -Raw)
        foreach ($package in $xml.coverage.packages.package) {
            Write-Build White ('line coverage {0,-28} {1,6:P1}  (xunit: Core.Tests, Module.Tests, Hosted.Tests)' -f $package.name, [double]$package.'line-rate')
        }
    }

    # What the run left in its private temp folder, less what the dotnet CLI itself leaves there
    # (empty six-letter folders, dotnet/sdk#35353; NuGet's and MSBuild's scratch folders). The
    # .NET runtime's own IPC files (debugger and diagnostics pipes, the PowerShell host pipe) stay
    # behind when a process is killed rather than ended; they go with the folder and are reported.
    if ($env:TCPCLOSE_BUILD_TEMP) {
        $leftInTemp = @(Get-ChildItem -LiteralPath $env:TCPCLOSE_BUILD_TEMP -Force | Where-Object {
                -not (($_.PSIsContainer -and $_.Name -match '^[A-Za-z0-9]{6}$' -and -not (Get-ChildItem -LiteralPath $_.FullName -Force)) -or
                    $_.Name -like 'NuGetScratch*' -or $_.Name -like 'MSBuildTemp*')
            } | ForEach-Object { $_.Name })
        $runtimePipes = @($leftInTemp | Where-Object { $_ -match '^(clr-debug-pipe-|dotnet-diagnostic-|CoreFxPipe_)' })
        if ($runtimePipes.Count -gt 0) {
            $killed = @($runtimePipes | ForEach-Object { if ($_ -match '^(?:clr-debug-pipe|dotnet-diagnostic)-(\d+)-') { $Matches[1] } } | Sort-Object -Unique)
            Write-Build Yellow "note: $($runtimePipes.Count) .NET runtime pipe file(s) of $($killed.Count) killed process(es) ($($killed -join ', ')) were left in the temp folder and go with it"
            $leftInTemp = @($leftInTemp | Where-Object { $_ -notin $runtimePipes })
        }
        if ($leftInTemp.Count -gt 0) {
            $brokenParts.Add("the run left in the temp folder (a test or the build does not clean up): $($leftInTemp -join ', ')")
        }
    }
    $strays = @(Get-UntrackedFile | Where-Object { $_ -notin $untrackedBefore })
    if ($strays) {
        $brokenParts.Add("the run left new files in the repository (a path resolved against the working directory?): $($strays -join ', ')")
    }
    foreach ($broken in $brokenParts) {
        Write-Build Red "FAILED: $broken"
    }
    Write-Build White "Results: $resultsDir"
    # build.ps1 prints this line last, after Invoke-Build's own closing lines.
    $line = "$passed passed, $failed failed, $skipped skipped"
    Set-Content -LiteralPath (Join-Path $outRoot 'test-summary.txt') -Value $line
    if ($failed -gt 0 -or $brokenParts.Count -gt 0) {
        throw "Tests failed: $line$(if ($brokenParts.Count) { "; $($brokenParts.Count) part(s) broken" })"
    }
}

# Synopsis: Every test part, then the summary (after Build and Package: the package test installs it).
task Test ResetResults, TestXunit, TestPester, TestPester6, TestWindows, TestErrorIds, Summary

# Synopsis: The default: build and stage the module.
task . Build
