// The stages of a TIME_WAIT read, each callable on its own, so a benchmark (here or in pwsh, after
// Add-Type -Path TcpClose.Benchmarks.dll) can time them and print where the time goes.
using System.Diagnostics;
using TcpClose;
using TcpClose.Native;

public static class TimeWaitStages
{
    const uint TimeWaitMask = 1u << LinuxTcpStates.TimeWait;
    static readonly byte[] s_buffer = new byte[NetlinkTcpReader.BufferSize];

    /// <summary>Stage 1, the kernel's part: one TIME_WAIT dump received and framed, nothing parsed.
    /// Returns the number of row messages.</summary>
    public static int KernelDump()
    {
        int fd = LinuxNetlink.Open();
        if (fd < 0)
            throw new InvalidOperationException($"netlink socket refused (errno {-fd})");
        try
        {
            uint seq = 77;
            int err = LinuxNetlink.Send(fd, InetDiagRequest.BuildCompat(TimeWaitMask, 0, 0, null, seq));
            if (err != 0)
                throw new InvalidOperationException($"netlink send failed (errno {err})");
            int rows = 0;
            while (true)
            {
                int n = LinuxNetlink.Receive(fd, s_buffer);
                if (n <= 0)
                    throw new InvalidOperationException($"netlink receive failed ({n})");
                for (int pos = 0; pos + LinuxNetlink.NlMsgHdrLen <= n;)
                {
                    int len = BitConverter.ToInt32(s_buffer, pos);
                    ushort type = BitConverter.ToUInt16(s_buffer, pos + 4);
                    if (type == LinuxNetlink.NLMSG_DONE)
                        return rows;
                    if (type == LinuxNetlink.NLMSG_ERROR || len < LinuxNetlink.NlMsgHdrLen)
                        throw new InvalidOperationException("netlink dump failed");
                    rows++;
                    pos += (len + 3) & ~3;
                }
            }
        }
        finally
        {
            LinuxNetlink.close(fd);
        }
    }

    /// <summary>Stage 2: the reader's raw rows (dump + parse + filter), no row objects.</summary>
    public static int ParsedRows()
    {
        int c = 0;
        foreach (var _ in NetlinkTcpReader.Read(TimeWaitMask, null, new TcpTableWarnings(null)))
            c++;
        return c;
    }

    /// <summary>Stage 3: what Get-TcpTimeWait enumerates: the TimeWaitEntry objects.</summary>
    public static int Entries()
    {
        int c = 0;
        foreach (var _ in TcpTable.ReadTimeWait(new TcpTableFilter()))
            c++;
        return c;
    }

    /// <summary>Wall milliseconds of <c>sh -c command</c> started from here, output read to the end;
    /// <paramref name="output"/> is its last line (for ss | wc -l: the count).</summary>
    public static double Shell(string command, out string output)
    {
        var psi = new ProcessStartInfo("sh", new[] { "-c", command }) { RedirectStandardOutput = true, UseShellExecute = false };
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        double ms = sw.Elapsed.TotalMilliseconds;
        output = text.TrimEnd().Split('\n')[^1].Trim();
        return ms;
    }

    /// <summary>Milliseconds of one call to f.</summary>
    public static double Time(Func<int> f, out int rows)
    {
        var sw = Stopwatch.StartNew();
        rows = f();
        return sw.Elapsed.TotalMilliseconds;
    }
}

/// <summary>
/// Peak managed heap while something runs: a background thread samples GC.GetTotalMemory(false)
/// every millisecond (the heap between two samples grows by at most what 1 ms allocates).
/// </summary>
public sealed class ManagedPeak : IDisposable
{
    readonly Thread _thread;
    volatile bool _stop;
    long _peak;
    readonly int _gen0, _gen2;

    public ManagedPeak()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Baseline = GC.GetTotalMemory(false);
        _peak = Baseline;
        _gen0 = GC.CollectionCount(0);
        _gen2 = GC.CollectionCount(2);
        _thread = new Thread(Sample) { IsBackground = true, Name = "ManagedPeak" };
        _thread.Start();
    }

    /// <summary>Managed heap after a full collection, before the measured work.</summary>
    public long Baseline { get; }
    /// <summary>Largest managed heap seen while running.</summary>
    public long Peak => Interlocked.Read(ref _peak);
    public int Gen0Collections { get; private set; }
    public int Gen2Collections { get; private set; }

    void Sample()
    {
        while (!_stop)
        {
            long m = GC.GetTotalMemory(false);
            if (m > _peak)
                Interlocked.Exchange(ref _peak, m);
            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        long m = GC.GetTotalMemory(false);
        if (m > _peak)
            _peak = m;
        Gen0Collections = GC.CollectionCount(0) - _gen0;
        Gen2Collections = GC.CollectionCount(2) - _gen2;
    }
}
