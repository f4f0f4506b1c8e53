# The module the PowerShell benchmarks time (dot-source this file): the one ./build.ps1 stages in
# out/. Import-StagedModule imports it and returns its manifest's path. -Build first builds what the
# benchmark needs: 'Benchmark' the helper program (TcpClose.Benchmarks.csproj), 'Module' the module
# itself (./build.ps1 -Task Build); 'None' (-NoBuild) takes both as they are.
function Import-StagedModule([ValidateSet('None', 'Benchmark', 'Module')] [string] $Build = 'None') {
    $root = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
    $version = (Import-PowerShellDataFile -Path (Join-Path $root 'TcpClose.psd1')).ModuleVersion
    $module = Join-Path $root "out/TcpClose/$version/TcpClose.psd1"
    if ($Build -eq 'Benchmark') {
        $benchProject = Join-Path $PSScriptRoot 'TcpClose.Benchmarks.csproj'
        dotnet build $benchProject -c Release --nologo -v q | Out-Host
        if ($LASTEXITCODE) { throw "dotnet build $benchProject failed with exit code $LASTEXITCODE." }
    }
    elseif ($Build -eq 'Module') {
        Push-Location $root
        try { & (Join-Path $root 'build.ps1') -Task Build | Out-Host } finally { Pop-Location }
    }
    if (-not (Test-Path -LiteralPath $module)) { throw "No staged module at ${module}: run ./build.ps1 from the repository root first." }
    Import-Module $module
    $module
}
