# Timing for the PowerShell benchmarks (dot-source this file): one warm-up, then -Runs timed runs of
# a script block in this process; best, median and worst in milliseconds. -BeforeEach runs, untimed,
# before the warm-up and before each run (a cold start: forget what the last run remembered).
function Measure-Ms([Parameter(Mandatory)] [scriptblock] $Block, [int] $Runs = 5, [scriptblock] $BeforeEach) {
    if ($BeforeEach) { & $BeforeEach }
    & $Block | Out-Null   # warm-up: JIT, page cache
    $times = foreach ($i in 1..$Runs) {
        if ($BeforeEach) { & $BeforeEach }
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & $Block | Out-Null
        $sw.Stop()
        $sw.Elapsed.TotalMilliseconds
    }
    $sorted = @($times | Sort-Object)
    [pscustomobject]@{ Best = $sorted[0]; Median = $sorted[[int][math]::Floor($sorted.Count / 2)]; Worst = $sorted[-1] }
}
