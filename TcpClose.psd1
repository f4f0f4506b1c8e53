#
# Module manifest for TcpClose. The module's version lives here and nowhere else: build.ps1 reads
# it and passes it to dotnet, and stages the module under out/TcpClose/<ModuleVersion>/.
#
# THIS FILE IS THE MANIFEST'S SOURCE, NOT THE MODULE. The module is the staged copy,
# out/TcpClose/<ModuleVersion>/TcpClose.psd1, with TcpClose.dll and TcpClose.Format.ps1xml beside
# it. Test-ModuleManifest and Import-Module fail on this file where it stands, because the files
# it names are built or copied next to the staged copy only: run ./build.ps1, then point tools at
# out/TcpClose/<ModuleVersion>/TcpClose.psd1 (tests/Manifest.Tests.ps1 checks that one).
#
@{
    RootModule           = 'TcpClose.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = 'b4e57bf1-c1c8-4ca9-8aa5-e62e39eb4c14'
    Author               = 'TcpClose contributors'
    CompanyName          = 'TcpClose contributors'
    Copyright            = '(c) 2026 TcpClose contributors. MIT License.'
    Description          = 'The end of a TCP connection''s life: start listeners with an honest choice of SO_REUSEADDR, open connections and close them in each of the four close styles (graceful, linger, abort/RST, half-close), see what the OS is left holding (TIME_WAIT above all, in every network namespace of a host) and how connections ended. Tested on Linux with PowerShell 7; the Windows code ran only under Wine; macOS and Windows PowerShell 5.1 are untested.'
    CompatiblePSEditions = @('Desktop', 'Core')
    PowerShellVersion    = '5.1'

    FormatsToProcess     = @('TcpClose.Format.ps1xml')

    # Listed explicitly: module auto-loading and Find-Module read this list without loading the DLL.
    CmdletsToExport      = @(
        'Start-TcpListener'
        'Get-TcpListener'
        'Stop-TcpListener'
        'Wait-TcpConnection'
        'New-TcpConnection'
        'Send-TcpData'
        'Receive-TcpData'
        'Close-TcpConnection'
        'Get-TcpConnection'
        'Get-TcpTimeWait'
        'Wait-TcpTimeWait'
        'Test-TcpBind'
        'Get-TcpSetting'
        'Get-TcpPortUsage'
        'Get-TcpNetworkNamespace'
        'Get-TcpStatistic'
        'Test-TcpPort'
        'Remove-TcpConnection'
    )
    # Empty, not left out: a missing entry means '*'.
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()

    PrivateData          = @{
        PSData = @{
            Tags       = @('TCP', 'TIME_WAIT', 'SO_LINGER', 'SO_REUSEADDR', 'Networking', 'Containers', 'Linux', 'PSEdition_Core')
            License    = 'MIT'
            # PLACEHOLDERS: example.invalid never resolves (RFC 2606). Replace both with the real
            # repository addresses before publishing to a gallery.
            LicenseUri = 'https://example.invalid/TcpClose/LICENSE'
            ProjectUri = 'https://example.invalid/TcpClose'
            # Filled by the build from this version's section of CHANGELOG.md (the staged copy
            # carries the text; this source keeps the empty marker the build looks for).
            ReleaseNotes = ''
        }
    }
}
