// --remove N: TcpRowRemoval against `ss -K` on N TIME_WAIT rows of one local port, refilled before
// every run. Loopback only. It holds the table lock while it runs (Program.cs: --lock-file): it destroys rows in bulk.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpClose;

static class RemovalBenchmark
{
    /// <summary>Fills, removes (TcpClose batched, TcpClose one row per request, ss -K), in turn, R times.</summary>
    public static int Run(int n, int runs)
    {
        if (!TcpRowRemoval.IsPermitted)
        {
            Console.Error.WriteLine("--remove needs CAP_NET_ADMIN (root): SOCK_DESTROY is refused without it.");
            return 2;
        }
        // The cmdlet is timed as users meet it, in a child pwsh on the staged module: both are
        // needed, and their absence stops the mode here, before any row is made.
        string module = FindStagedModule();
        if (module == null)
        {
            Console.Error.WriteLine("--remove also times Remove-TcpConnection and needs the staged module: run ./build.ps1 from the repository root first (or set TCPCLOSE_MODULE_PATH to a staged TcpClose.psd1).");
            return 2;
        }
        (string pwsh, string[] pwshPrefix) = FindPowerShell();
        Console.WriteLine($"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        // The listener stays open for the whole benchmark so every run's rows have the same local port.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1024);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Console.WriteLine($"removing {n} TIME_WAIT rows of 127.0.0.1:{port} (the server's side: it closes first; clients from 32 loopback addresses, new ones for every fill), refilled before each run; {runs} runs each, alternating");

        var methods = new List<(string Name, Func<int, (int Removed, double? Ms)> Remove)>
        {
            ($"ss -K state time-wait '( sport = :{port} )' (child)", p => (SsKill(p), null)),
            ($"TcpClose read + remove, {TcpRowRemoval.BatchSize} requests/datagram", p => (TcpCloseRemove(p, batched: true), null)),
            ("TcpClose read + remove, 1 request/datagram", p => (TcpCloseRemove(p, batched: false), null)),
        };
        // The cmdlet as users meet it, timed inside a child pwsh (start-up and module import excluded).
        methods.Add(("pwsh: Remove-TcpConnection -LocalPort P -State TimeWait", p =>
            Pwsh(pwsh, pwshPrefix, module, $"Remove-TcpConnection -LocalPort {p} -State TimeWait -Confirm:$false")));
        methods.Add(("pwsh: Get-TcpTimeWait -LocalPort P | Remove-TcpConnection", p =>
            Pwsh(pwsh, pwshPrefix, module, $"Get-TcpTimeWait -LocalPort {p} | Remove-TcpConnection -Confirm:$false")));

        // Warm-up (JIT, ss's page cache) on 200 rows per method, not measured.
        foreach (var (_, remove) in methods)
        {
            Fill(listener, 200);
            WaitForRows(port, 200);
            remove(port);
        }
        var times = methods.Select(_ => new List<double>()).ToArray();
        var fillTimes = new List<double>();
        try
        {
            for (int r = 0; r < runs; r++)
            {
                for (int m = 0; m < methods.Count; m++)
                {
                    var fill = Stopwatch.StartNew();
                    Fill(listener, n);
                    int present = WaitForRows(port, n);
                    fillTimes.Add(fill.Elapsed.TotalSeconds);
                    // A few rows can be missing: connect() may take over a 4-tuple still in TIME_WAIT
                    // (tcp_tw_reuse; nstat TcpExtTWRecycled). Times are compared per row.
                    if (present < n * 95 / 100)
                        throw new InvalidOperationException($"expected {n} TIME_WAIT rows on port {port}, found {present}");
                    var sw = Stopwatch.StartNew();
                    (int removed, double? inside) = methods[m].Remove(port);
                    sw.Stop();
                    double ms = inside ?? sw.Elapsed.TotalMilliseconds;
                    int left = Count(port);
                    if (left != 0)
                        throw new InvalidOperationException($"{methods[m].Name}: {left} rows left after it said {removed}");
                    if (removed != present)
                        throw new InvalidOperationException($"{methods[m].Name}: removed {removed} of {present} rows");
                    times[m].Add(ms * n / present); // normalized to n rows
                    Console.WriteLine($"  run {r + 1}: {methods[m].Name,-58} {removed,6} rows {ms,9:F1} ms");
                }
            }
        }
        finally
        {
            int left = Count(port);
            if (left > 0)
                SsKill(port);
            Console.WriteLine($"cleanup: {left} TIME_WAIT rows of port {port} were left and removed; now {Count(port)}");
        }

        Console.WriteLine($"fill: {fillTimes.Average():F2} s per {n} rows on average");
        Console.WriteLine($"times for {n} rows (scaled where a fill made a few less); method, best and median of {runs}:");
        Console.WriteLine($"{"method",-62} {"best ms",8} {"median",8} {"x ss",6} {"us/row",7}");
        double ssBest = times[0].Min(), ssMedian = Median(times[0]);
        for (int m = 0; m < methods.Count; m++)
        {
            double best = times[m].Min();
            Console.WriteLine($"{methods[m].Name,-62} {best,8:F1} {Median(times[m]),8:F1} {best / ssBest,6:F3} {best * 1000 / n,7:F2}");
        }
        double ours = times[1].Min();
        Console.WriteLine($"target TcpClose <= ss (best of {runs}): {(ours <= ssBest ? "met" : "NOT met")} ({ours / ssBest:F3}); medians {Median(times[1]) / ssMedian:F3}");
        // Where the piped form's time goes, per row, from the medians above: the core's read and
        // netlink exchange; the cmdlet's own work (ShouldProcess and its target text, the result
        // object), which the -LocalPort form adds to the core; and the pipeline, which hands each
        // row from Get-TcpTimeWait to Remove-TcpConnection and binds it there.
        double core = Median(times[1]), cmdlet = Median(times[3]), piped = Median(times[4]);
        Console.WriteLine($"where the piped form's time goes, per row (medians): read + netlink exchange {core * 1000 / n:F2} us, " +
            $"cmdlet (ShouldProcess, result object) {(cmdlet - core) * 1000 / n:F2} us, pipeline hand-off and binding {(piped - cmdlet) * 1000 / n:F2} us; ss -K {ssMedian * 1000 / n:F2} us");
        Console.WriteLine($"target piped <= ss -K (medians of {runs}): {(piped <= ssMedian ? "met" : "NOT met")} ({piped / ssMedian:F3})");
        return 0;
    }

    static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    /// <summary>What a script would do: read the port's TIME_WAIT rows (netlink, filtered in the kernel) and remove them.</summary>
    static int TcpCloseRemove(int port, bool batched)
    {
        var rows = TcpTable.ReadTimeWait(new TcpTableFilter { LocalPorts = new[] { port } }).Select(TcpRowKey.From).ToList();
        int removed = 0;
        using var removal = TcpRowRemoval.Open();
        if (batched)
        {
            removal.Remove(rows, (r, e) =>
            {
                if (r.Removed)
                    removed++;
            });
        }
        else
        {
            foreach (var key in rows)
                if (removal.Remove(key, out _).Removed)
                    removed++;
        }
        return removed;
    }

    /// <summary>Runs the command in a child pwsh after a warm-up call on a port without rows; returns
    /// the rows it removed and its own time in ms, measured inside pwsh.</summary>
    /// <summary>$env:TCPCLOSE_MODULE_PATH, else the staged manifest under out/TcpClose of the current directory; null when neither exists.</summary>
    static string FindStagedModule()
    {
        string named = Environment.GetEnvironmentVariable("TCPCLOSE_MODULE_PATH");
        if (!string.IsNullOrEmpty(named))
            return File.Exists(named) ? named : null;
        string staged = Path.Combine(Environment.CurrentDirectory, "out", "TcpClose");
        return Directory.Exists(staged)
            ? Directory.GetFiles(staged, "TcpClose.psd1", SearchOption.AllDirectories).FirstOrDefault()
            : null;
    }

    /// <summary>pwsh on PATH, else the repository's pinned one (`dotnet pwsh`, .config/dotnet-tools.json).</summary>
    static (string, string[]) FindPowerShell()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "pwsh")))
                return ("pwsh", Array.Empty<string>());
        }
        return ("dotnet", new[] { "pwsh" });
    }

    static (int, double?) Pwsh(string pwsh, string[] prefix, string module, string command)
    {
        string script = $"Import-Module '{module}'; $null = Remove-TcpConnection -LocalPort 1 -State TimeWait -Confirm:$false; "
            + "$sw = [Diagnostics.Stopwatch]::StartNew(); $results = " + command + "; $sw.Stop(); "
            + "'{0} {1}' -f @($results | Where-Object Removed).Count, $sw.Elapsed.TotalMilliseconds.ToString([cultureinfo]::InvariantCulture)";
        var psi = new ProcessStartInfo(pwsh) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in prefix.Concat(new[] { "-NoProfile", "-NonInteractive", "-Command", script }))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string last = null;
        for (string line; (line = p.StandardOutput.ReadLine()) != null;)
            last = line;
        p.WaitForExit();
        string[] parts = (last ?? "").Split(' ');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int n))
            throw new InvalidOperationException($"pwsh said '{last}'");
        return (n, double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>ss -K, wall time including reading the line it prints per socket killed.</summary>
    static int SsKill(int port) => Ss.CountLines($"-K -tan state time-wait ( sport = :{port} )", skipHeader: true);

    static int Count(int port) => TcpTable.ReadTimeWait(new TcpTableFilter { LocalPorts = new[] { port }, Source = TcpTableSource.Netlink }).Count();

    /// <summary>Polls (bounded) until the last rows have reached TIME_WAIT.</summary>
    static int WaitForRows(int port, int n)
    {
        var sw = Stopwatch.StartNew();
        int c = Count(port);
        while (c < n && sw.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(10);
            c = Count(port);
        }
        return c;
    }

    /// <summary>n connections to the listener, each closed by the server first: n TIME_WAIT rows with the listener's port.</summary>
    static int s_fills;

    const int Sources = 32;

    static void Fill(Socket listener, int n)
    {
        s_fills++;
        var ep = (IPEndPoint)listener.LocalEndPoint!;
        const int batch = 256;
        var clients = new Socket[batch];
        var servers = new Socket[batch];
        var buf = new byte[1];
        var sw = Stopwatch.StartNew();
        for (int made = 0; made < n;)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(30))
                throw new TimeoutException($"fill too slow: {made} rows in {sw.Elapsed.TotalSeconds:F0} s");
            int k = Math.Min(batch, n - made);
            // Clients come from 127.F.0.2..127.F.0.33 in turn, F new for every fill (32 sources keep
            // 50,000 rows at about 1,600 connections per source). connect() draws ports from a sequence per
            // (source, destination) that advances by more than one port per connection; from one source,
            // 10,000 connections wrap the ephemeral range and, with tcp_tw_reuse = 2 (loopback), a new
            // connection on a 4-tuple still in TIME_WAIT recycles that row instead of adding one.
            // IP_BIND_ADDRESS_NO_PORT leaves the port to connect(), which knows the 4-tuple.
            var source = new IPAddress(new byte[] { 127, (byte)(10 + s_fills % 200), 0, (byte)(2 + made / batch % Sources) });
            for (int i = 0; i < k; i++)
            {
                clients[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients[i].SetRawSocketOption(0 /* SOL_IP */, 24 /* IP_BIND_ADDRESS_NO_PORT */, BitConverter.GetBytes(1));
                clients[i].Bind(new IPEndPoint(source, 0));
                clients[i].Connect(ep);
            }
            for (int i = 0; i < k; i++)
                servers[i] = listener.Accept();
            for (int i = 0; i < k; i++)
                servers[i].Close(); // the server closes first: its side (local port = the listener's) goes to TIME_WAIT
            for (int i = 0; i < k; i++)
            {
                clients[i].ReceiveTimeout = 5000;
                clients[i].Receive(buf); // the server's FIN (EOF)
                clients[i].Close();
            }
            made += k;
        }
    }
}
