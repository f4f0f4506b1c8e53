#Requires -Version 5.1
<#
.SYNOPSIS
Merges coverlet's Cobertura files (one per test project) into one, per assembly.

.DESCRIPTION
A line counts as covered when any input file saw it hit. Each assembly (Cobertura's <package>)
gets its line-rate from the union; the output keeps packages and classes with their merged
lines, enough for the build's per-assembly figures and for tools that read Cobertura.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string[]]$Path,

    [Parameter(Mandatory = $true)]
    [string]$OutputPath
)

$ErrorActionPreference = 'Stop'
# assembly -> class file -> line number -> hits
$packages = [ordered]@{}
$classNames = @{}
foreach ($file in $Path) {
    $xml = [xml](Get-Content -LiteralPath $file -Raw)
    foreach ($package in $xml.coverage.packages.package) {
        if (-not $packages.Contains($package.name)) { $packages[$package.name] = [ordered]@{} }
        foreach ($class in $package.classes.class) {
            $key = $class.filename
            if (-not $packages[$package.name].Contains($key)) { $packages[$package.name][$key] = @{} }
            $classNames["$($package.name)|$key"] = $class.name
            $lines = $packages[$package.name][$key]
            foreach ($line in $class.lines.line) {
                $number = [int]$line.number
                $hits = [long]$line.hits
                if ($lines.ContainsKey($number)) { $lines[$number] += $hits } else { $lines[$number] = $hits }
            }
        }
    }
}

$out = New-Object System.Xml.XmlDocument
$coverage = $out.AppendChild($out.CreateElement('coverage'))
$packagesNode = $coverage.AppendChild($out.CreateElement('packages'))
$allValid = 0; $allCovered = 0
foreach ($name in $packages.Keys) {
    $valid = 0; $covered = 0
    $packageNode = $packagesNode.AppendChild($out.CreateElement('package'))
    $packageNode.SetAttribute('name', $name)
    $classesNode = $packageNode.AppendChild($out.CreateElement('classes'))
    foreach ($fileName in $packages[$name].Keys) {
        $lines = $packages[$name][$fileName]
        $classNode = $classesNode.AppendChild($out.CreateElement('class'))
        $classNode.SetAttribute('name', $classNames["$name|$fileName"])
        $classNode.SetAttribute('filename', $fileName)
        $linesNode = $classNode.AppendChild($out.CreateElement('lines'))
        $classCovered = 0
        foreach ($number in ($lines.Keys | Sort-Object)) {
            $lineNode = $linesNode.AppendChild($out.CreateElement('line'))
            $lineNode.SetAttribute('number', $number)
            $lineNode.SetAttribute('hits', $lines[$number])
            if ($lines[$number] -gt 0) { $classCovered++ }
        }
        $classNode.SetAttribute('line-rate', $(if ($lines.Count) { ($classCovered / $lines.Count).ToString([cultureinfo]::InvariantCulture) } else { '1' }))
        $valid += $lines.Count; $covered += $classCovered
    }
    $packageNode.SetAttribute('line-rate', $(if ($valid) { ($covered / $valid).ToString([cultureinfo]::InvariantCulture) } else { '1' }))
    $packageNode.SetAttribute('lines-valid', $valid)
    $packageNode.SetAttribute('lines-covered', $covered)
    $allValid += $valid; $allCovered += $covered
}
$coverage.SetAttribute('line-rate', $(if ($allValid) { ($allCovered / $allValid).ToString([cultureinfo]::InvariantCulture) } else { '1' }))
$coverage.SetAttribute('lines-valid', $allValid)
$coverage.SetAttribute('lines-covered', $allCovered)
$out.Save($OutputPath)
