# Returns $true when this PowerShell runs under Wine, as Wine documents it: ntdll exports
# wine_get_version, which Windows' ntdll does not. Dot-source-free: `& (Join-Path ... 'UnderWine.ps1')`.
# Used by TestHelpers.ps1 ($TcpTestUnderWine), by BeforeDiscovery blocks and by tools/PesterTest.ps1.
# NativeLibrary needs .NET Core 3+; Windows PowerShell 5.1 never runs under Wine here.
if (-not ('System.Runtime.InteropServices.NativeLibrary' -as [type]) -or
    -not [System.Runtime.InteropServices.RuntimeInformation]::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::Windows)) {
    return $false
}
$ntdll = [IntPtr]::Zero
$export = [IntPtr]::Zero
[System.Runtime.InteropServices.NativeLibrary]::TryLoad('ntdll.dll', [ref]$ntdll) -and
    [System.Runtime.InteropServices.NativeLibrary]::TryGetExport($ntdll, 'wine_get_version', [ref]$export)
