# The package as users install it: out/packages/TcpClose.<version>.nupkg (./build.ps1 -Package,
# which -Test runs first) published to a file repository, installed with Install-PSResource and
# imported BY NAME in a fresh PowerShell. Every step runs in children with a private HOME (and the
# default XDG folders under it) and the default PSModulePath, so nothing of the user's repositories or
# modules is read or touched; the folders go at the end.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $repoRoot = Split-Path -Parent $PSScriptRoot
    $version = (Get-Module TcpClose).Version.ToString()
    $package = Join-Path $repoRoot "out/packages/TcpClose.$version.nupkg"

    function Invoke-PrivatePowerShell {
        # Runs a script in a child PowerShell whose HOME is $PrivateHome; returns its output lines.
        param([string] $PrivateHome, [string] $Script)
        $names = 'HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'PSModulePath'
        $saved = @{}
        foreach ($name in $names) { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
        try {
            $env:HOME = $PrivateHome
            # Unset, so every folder is the default under HOME: PSResourceGet 1.2 installs
            # CurrentUser modules under $HOME/.local/share/powershell/Modules whatever
            # XDG_DATA_HOME says, while pwsh's PSModulePath follows XDG_DATA_HOME.
            $env:XDG_DATA_HOME = $null
            $env:XDG_CONFIG_HOME = $null
            $env:XDG_CACHE_HOME = $null
            $env:PSModulePath = $null   # the child builds its default: its user folder, the shared one, $PSHOME's
            $lines = @(& (Get-TcpTestPowerShell) -NoProfile -NonInteractive -Command "`$PSStyle.OutputRendering = 'PlainText'; $Script" 2>&1 | ForEach-Object { "$_" })
            [pscustomobject]@{ Lines = $lines; ExitCode = $LASTEXITCODE }
        }
        finally {
            foreach ($name in $names) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        }
    }
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

BeforeDiscovery {
    $onLinux = [bool](Get-Variable -Name IsLinux -ValueOnly -ErrorAction SilentlyContinue)
}

Describe 'The TcpClose package' {
    BeforeAll {
        $work = Join-Path ([System.IO.Path]::GetTempPath()) ('TcpClose-package-test-' + [guid]::NewGuid().ToString('N'))
        $repository = Join-Path $work 'repository'
        $privateHome = Join-Path $work 'home'
        New-Item -ItemType Directory -Path $repository | Out-Null
        New-TcpPrivateHome -Path $privateHome
    }
    AfterAll {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'was built by the Package task' {
        $package | Should -Exist
    }

    It 'holds the module and its help, nothing of tests, benchmarks or tools' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($package)
        try { $files = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        $module = @($files | Where-Object { $_ -notmatch '^(_rels/|package/|\[Content_Types\]\.xml$|TcpClose\.nuspec$)' } | Sort-Object)
        $module | Should -Be @('en-US/about_TcpClose.help.txt', 'en-US/TcpClose.dll-Help.xml', 'Examples/Containers.ps1', 'Examples/Fleet.ps1', 'Examples/RestartCounters.Tests.ps1', 'Examples/ServiceRestart.Tests.ps1',
            'LICENSE', 'TcpClose.Core.dll', 'TcpClose.dll', 'TcpClose.Format.ps1xml', 'TcpClose.psd1')
        $files | Where-Object { $_ -match '\.(pdb|deps\.json|csproj|cs)$|System\.Management\.Automation|tests/|tools/' } | Should -BeNullOrEmpty
    }

    It 'carries the gallery metadata: tags, project and license addresses, the CHANGELOG''s release notes' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($package)
        try {
            $reader = New-Object System.IO.StreamReader ($zip.GetEntry('TcpClose.nuspec').Open())
            $nuspec = [xml]$reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $metadata = $nuspec.package.metadata
        $metadata.version | Should -Be $version
        $metadata.tags -split ' ' | Should -Contain 'TIME_WAIT'
        $metadata.projectUrl | Should -Not -BeNullOrEmpty
        $metadata.licenseUrl | Should -Not -BeNullOrEmpty
        $section = Get-TcpReleaseNotes -Version $version
        $section | Should -Not -BeNullOrEmpty
        ($metadata.releaseNotes -replace '\r', '') | Should -Be ($section -replace '\r', '')
    }

    It 'installs from a file repository with Install-PSResource, imports by name in a fresh PowerShell, and uninstalls' {
        Copy-Item -LiteralPath $package -Destination $repository
        $install = Invoke-PrivatePowerShell -PrivateHome $privateHome -Script @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name TcpCloseFiles -Uri '$repository' -Trusted
Install-PSResource -Name TcpClose -Repository TcpCloseFiles -Scope CurrentUser -Quiet
(Get-InstalledPSResource -Name TcpClose).Version.ToString()
"@
        $install.ExitCode | Should -Be 0 -Because ($install.Lines -join "`n")
        $install.Lines[-1] | Should -Be $version

        # A fresh process: the module is found by name on the default PSModulePath.
        $use = Invoke-PrivatePowerShell -PrivateHome $privateHome -Script @'
$ErrorActionPreference = 'Stop'
Import-Module TcpClose
$module = Get-Module TcpClose
'module ' + $module.Version + ' ' + $module.ModuleBase
'about ' + @(Get-Help about_TcpClose).Count + ' ' + ((Get-Help about_TcpClose | Out-String) -match 'SO_LINGER')
'help ' + (Get-Help Test-TcpBind).Synopsis
$free = Start-TcpListener -Port 0; $port = $free.LocalPort; $free | Stop-TcpListener
$held = Start-TcpListener -Port 0
try { $a = Test-TcpBind -Port $port; $b = Test-TcpBind -Port $held.LocalPort } finally { $held | Stop-TcpListener }
'bind ' + $a.CanBind + ' ' + $b.CanBind + ' ' + $b.Error
'@
        $use.ExitCode | Should -Be 0 -Because ($use.Lines -join "`n")
        $use.Lines | Should -Contain "module $version $(Join-Path $privateHome '.local/share/powershell/Modules/TcpClose')/$version"
        $use.Lines | Should -Contain 'about 1 True'
        ($use.Lines -match '^help ') | Should -Match '^help \S.{10,}'
        $use.Lines | Should -Contain 'bind True False AddressAlreadyInUse'

        $uninstall = Invoke-PrivatePowerShell -PrivateHome $privateHome -Script @'
$ErrorActionPreference = 'Stop'
Uninstall-PSResource -Name TcpClose -Scope CurrentUser
'left ' + @(Get-Module -ListAvailable -Name TcpClose).Count
'@
        $uninstall.ExitCode | Should -Be 0 -Because ($uninstall.Lines -join "`n")
        $uninstall.Lines | Should -Contain 'left 0'
    } -Skip:(-not $onLinux)
}
