// The table lock: benchmarks that fill or clear the TCP table hold it, so two of them on one machine
// never measure (or destroy rows) at the same time. It is an exclusive flock on a file: .NET's
// FileShare.None takes flock(LOCK_EX) on Unix, the same lock `flock -x FILE command` takes, so a
// shell script can take part too.
static class TableLock
{
    /// <summary>The lock file when --lock-file is not given: in the OS temp folder.</summary>
    public static string DefaultPath => Path.Combine(Path.GetTempPath(), "tcpclose-table.lock");

    /// <summary>Waits up to <paramref name="wait"/> for the lock; null when it could not be had in time.</summary>
    public static FileStream? Acquire(string path, TimeSpan wait)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool said = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < wait)
            {
                if (!said)
                {
                    Console.Error.WriteLine($"waiting for the table lock {path} (another benchmark holds it; at most {wait.TotalMinutes:0} min)");
                    said = true;
                }
                Thread.Sleep(500);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }
}
