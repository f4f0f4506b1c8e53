# The table lock for the PowerShell benchmarks (dot-source this file): the same exclusive flock on
# the same default file as TableLock.cs, so no two benchmarks fill or clear the TCP table at once.
# .NET's FileShare.None takes flock(LOCK_EX) on Unix, as `flock -x FILE` does. The lock goes
# when the stream is disposed or the process ends.

function Enter-TcpTableLock {
    # Waits up to -Minutes for the lock; returns the open FileStream (dispose it to release) or throws.
    param([Parameter(Mandatory)] [string] $Path, [int] $Minutes = 15)
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $said = $false
    while ($true) {
        try {
            return [System.IO.FileStream]::new($Path, 'OpenOrCreate', 'ReadWrite', 'None')
        }
        catch [System.IO.IOException] {
            if ($clock.Elapsed.TotalMinutes -ge $Minutes) {
                throw "The table lock $Path was not free within $Minutes minutes; nothing was measured."
            }
            if (-not $said) {
                Write-Host "waiting for the table lock $Path (another benchmark holds it; at most $Minutes min)"
                $said = $true
            }
            Start-Sleep -Milliseconds 500
        }
    }
}
