// The real ss as a child process, shared by the benchmarks: they count its rows, time it, and clear
// their TIME_WAIT rows with it (ss -K).
using System.Diagnostics;

static class Ss
{
    /// <summary>Runs <c>ss arguments</c> (no shell; the arguments are split at spaces, so a filter
    /// needs no quoting) and returns the number of lines it printed; the wall time of a call includes
    /// reading them. <paramref name="skipHeader"/>: ss prints a header line (no -H), not counted.
    /// Throws if ss fails: a count of a failed run would be a wrong number.</summary>
    public static int CountLines(string arguments, bool skipHeader = false)
    {
        var psi = new ProcessStartInfo("ss", arguments) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        int lines = 0;
        while (p.StandardOutput.ReadLine() != null)
            lines++;
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"ss {arguments} exited with {p.ExitCode}");
        return skipHeader ? Math.Max(0, lines - 1) : lines;
    }
}
