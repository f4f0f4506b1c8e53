# Timing for the PowerShell benchmarks (dot-source this file): one warm-up, then -Runs timed runs of
# a script block in this process; best, median and worst in milliseconds.
function Measure-Ms([Parameter(Mandatory)] [scriptblock] $Block, [int] $Runs = 5) {
    & $Block | Out-Null   # warm-up: JIT, page cache
    $times = foreach ($i in 1..$Runs) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & $Block | Out-Null
        $sw.Stop()
        $sw.Elapsed.TotalMilliseconds
    }
    $sorted = @($times | Sort-Object)
    [pscustomobject]@{ Best = $sorted[0]; Median = $sorted[[int][math]::Floor($sorted.Count / 2)]; Worst = $sorted[-1] }
}
