# A process that makes something for a benchmark (TIME_WAIT rows, a busy host), says so with a
# "ready: ..." line, and holds it until a line (or EOF) arrives on its standard input; then it
# clears what it made and exits. Dot-source this file. Its standard error is not redirected: what
# goes wrong there shows on the console.

function Start-HeldProcess {
    # Starts it and waits for the line matching -Ready (Wait-HeldProcess); returns Process and Ready
    # (the match's groups). -NoWait returns at once: several can then make their things at the same
    # time, and Wait-HeldProcess waits for each.
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [Parameter(Mandatory)] [string[]] $ArgumentList,
        [string] $Ready = '^ready:',
        # Write its lines on the console (indented), up to the ready line.
        [switch] $Echo,
        [switch] $NoWait
    )
    $psi = [Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add("$a") }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $held = [pscustomobject]@{ Process = [Diagnostics.Process]::Start($psi); Ready = $null; Pattern = $Ready; Echo = $Echo.IsPresent }
    if (-not $NoWait) { Wait-HeldProcess $held }
    $held
}

function Wait-HeldProcess {
    # Reads its lines until the ready one, and keeps that line's groups in Ready.
    param([Parameter(Mandatory)] $Held)
    $process = $Held.Process
    while ($null -ne ($line = $process.StandardOutput.ReadLine())) {
        if ($Held.Echo) { Write-Host "  $line" }
        if ($line -match $Held.Pattern) {
            $Held.Ready = $Matches
            return
        }
    }
    $null = $process.WaitForExit(10000)
    $code = if ($process.HasExited) { $process.ExitCode } else { 'none yet' }
    $what = "$($process.StartInfo.FileName) $($process.StartInfo.ArgumentList -join ' ')"
    $process.Dispose()
    throw "$what ended before it was ready (exit code $code; its error is above)."
}

function Stop-HeldProcess {
    # Tells it to clear and exit, reads what it says meanwhile, and waits; one that does not exit in
    # time is killed (its whole tree) and said to be.
    param(
        [Parameter(Mandatory)] $Held,
        [switch] $Echo,
        [int] $TimeoutSeconds = 60
    )
    $process = $Held.Process
    try {
        if (-not $process.HasExited) {
            $process.StandardInput.WriteLine('done')
            $process.StandardInput.Close()
        }
        while ($null -ne ($line = $process.StandardOutput.ReadLine())) {
            if ($Echo) { Write-Host "  $line" }
        }
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "$($process.StartInfo.FileName) did not exit within $TimeoutSeconds s of being told to; it was killed."
        }
    }
    finally {
        $process.Dispose()
    }
}
