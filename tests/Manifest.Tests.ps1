# The module manifest as users and tools meet it. The repository's TcpClose.psd1 is the source;
# the module is the staged copy (out/TcpClose/<version>/TcpClose.psd1, or $env:TCPCLOSE_MODULE_PATH),
# with TcpClose.dll, the format file and the help beside it. See the header of TcpClose.psd1.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $repoManifest = Join-Path (Split-Path -Parent $PSScriptRoot) 'TcpClose.psd1'
    $stagedManifest = (Resolve-Path -LiteralPath $modulePath).Path   # set by TestHelpers.ps1
}
AfterAll { Remove-Module TcpClose -ErrorAction SilentlyContinue }

Describe 'The module manifest' {
    It 'passes Test-ModuleManifest where it is staged, with no error at all' {
        $errors = $null
        $info = Test-ModuleManifest -Path $stagedManifest -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors | Should -BeNullOrEmpty
        $info.Name | Should -Be 'TcpClose'
        $info.ExportedCmdlets.Keys | Should -Not -BeNullOrEmpty
    }

    It 'is staged as the repository wrote it, with ReleaseNotes from CHANGELOG.md (the staged copy is current)' {
        $notes = Get-TcpReleaseNotes -Version (Import-PowerShellDataFile -LiteralPath $repoManifest).ModuleVersion
        $notes | Should -Not -BeNullOrEmpty
        (Import-PowerShellDataFile -LiteralPath $stagedManifest).PrivateData.PSData.ReleaseNotes | Should -Be $notes
        $source = (Get-Content -LiteralPath $repoManifest -Raw).Replace("ReleaseNotes = ''", "ReleaseNotes = '$($notes -replace "'", "''")'")
        Get-Content -LiteralPath $stagedManifest -Raw | Should -BeExactly $source
    }

    It 'says at its top which file is the module, since the repository copy cannot load where it stands' {
        (Get-Content -LiteralPath $repoManifest -TotalCount 20) -join "`n" |
            Should -Match 'NOT THE MODULE[\s\S]*out/TcpClose/<ModuleVersion>/TcpClose\.psd1'
    }
}
