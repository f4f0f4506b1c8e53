// Measures TcpClose's TCP table readers against ss, /proc and IPGlobalProperties on a table filled
// with N TIME_WAIT rows on loopback. Loopback only: no packet leaves the machine.
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using TcpClose;

static class Program
{
    const string Help = """
        TcpClose.Benchmarks: time the TCP table readers on a table full of TIME_WAIT rows.

        usage: dotnet run -c Release --project tests/TcpClose.Benchmarks -- [options]

          --timewait N   first make N TIME_WAIT rows on loopback, 127.0.0.2.. to 127.0.0.1 (clients close first);
                         N <= 128000 and below net.ipv4.tcp_max_tw_buckets. Default 40000; 0 = use the
                         table as is. The rows made are destroyed (ss -K, exactly this run's 4-tuples)
                         before the benchmark exits, and it says how many.
          --runs R       best of R timed runs per reader (default 5)
          --hold         fill, print "ready: ...", wait for a line (or EOF) on stdin, clear, exit:
                         TimeWait.Bench.ps1 measures pwsh on the table while this holds it (that
                         script holds the table lock itself, so --hold does not take it)
          --probe N      instead: N Test-TcpPort probes of one port against N connect + graceful
                         closes, and the TIME_WAIT rows each leaves
          --remove N     instead: remove N (<= 60000) TIME_WAIT rows of one port with TcpClose and with
                         ss -K, refilled before each, R runs each. Needs root.
          --owners N     instead: make a busy host for Owners.Bench.ps1: N worker processes, each with
                         --conns C (20) loopback connections and --files F (100) open files, and
                         one holder process with one listener and one connection (started before
                         the workers, or after them with --holder-last); with --hold it prints
                         "ready: ..." and keeps them until a line (or EOF) on stdin, then ends them
          --fill-namespaces NS,NS,... --rows R
                         instead: make R TIME_WAIT rows (clients close first) inside each of these
                         network namespaces (ip netns names; root), print "ready: ...", exit; the
                         rows go when the namespaces are deleted (Namespaces.Bench.ps1 does both)
          --lock-file F  the table lock: every mode but --hold holds an exclusive flock on F while it
                         runs (waiting up to 15 min for it), so two benchmarks never fill or clear the
                         table at once. Default: tcpclose-table.lock in the OS temp folder.
          --help         this text

        Measured, in one process: TcpClose netlink (full TIME_WAIT read), TcpClose /proc/net/tcp,
        IPGlobalProperties.GetActiveTcpConnections() filtered to TimeWait, `ss -tan state time-wait`
        as a child process (wall time including reading its output), and a one-port query (netlink,
        filtered in the kernel). Prints each time, its ratio to ss, and managed bytes allocated per row.
        Linux only (the readers it compares exist there). TIME_WAIT rows last 60 s: the fill and all
        runs must finish inside that, so keep N and R moderate.
        """;

    static int Main(string[] args)
    {
        int n = 40000, runs = 5, remove = 0, probes = 0, owners = 0, conns = 20, files = 100;
        bool hold = false, holderLast = false;
        string[] fillNamespaces = null;
        int rowsPerNamespace = 1000;
        string lockFile = TableLock.DefaultPath;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help": case "-h": case "-?":
                    Console.WriteLine(Help);
                    return 0;
                case "--timewait" when i + 1 < args.Length && int.TryParse(args[i + 1], out n):
                    i++;
                    break;
                case "--hold":
                    hold = true;
                    break;
                case "--probe" when i + 1 < args.Length && int.TryParse(args[i + 1], out probes) && probes > 0 && probes <= 20000:
                    i++;
                    break;
                case "--hold-port":
                    return BusyHost.HoldPort();
                case "--owners" when i + 1 < args.Length && int.TryParse(args[i + 1], out owners) && owners > 0 && owners <= 20000:
                    i++;
                    break;
                case "--conns" when i + 1 < args.Length && int.TryParse(args[i + 1], out conns) && conns >= 0 && conns <= 1000:
                    i++;
                    break;
                case "--files" when i + 1 < args.Length && int.TryParse(args[i + 1], out files) && files >= 0 && files <= 10000:
                    i++;
                    break;
                case "--holder-last":
                    holderLast = true;
                    break;
                case "--fill-namespaces" when i + 1 < args.Length && args[i + 1].Length > 0:
                    fillNamespaces = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries);
                    break;
                case "--rows" when i + 1 < args.Length && int.TryParse(args[i + 1], out rowsPerNamespace) && rowsPerNamespace > 0 && rowsPerNamespace <= 20000:
                    i++;
                    break;
                case "--lock-file" when i + 1 < args.Length && args[i + 1].Length > 0:
                    lockFile = args[++i];
                    break;
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out runs) && runs > 0:
                    i++;
                    break;
                case "--remove" when i + 1 < args.Length && int.TryParse(args[i + 1], out remove) && remove > 0 && remove <= 60000:
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"unknown or incomplete argument '{args[i]}'\n\n{Help}");
                    return 2;
            }
        }
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("This benchmark compares Linux readers (netlink, /proc, ss); run it on Linux.");
            return 2;
        }
        if (fillNamespaces != null)
        {
            // Namespaces of the caller's own making: no other benchmark's table, so no table lock.
            NamespaceFill.Run(fillNamespaces, rowsPerNamespace, Console.Out);
            return 0;
        }
        using FileStream? tableLock = hold ? null : TableLock.Acquire(lockFile, TimeSpan.FromMinutes(15));
        if (!hold && tableLock == null)
        {
            Console.Error.WriteLine($"The table lock {lockFile} was not free within 15 minutes; nothing was measured.");
            return 3;
        }
        if (probes > 0)
            return ProbeBenchmark.Run(probes);
        if (owners > 0)
        {
            using BusyHost host = BusyHost.Make(owners, conns, files, holderLast, Console.Out);
            var (processes, descriptors) = BusyHost.Count();
            Console.WriteLine($"ready: port {host.Port} holder {host.HolderPid} processes {processes} descriptors {descriptors}");
            Console.Out.Flush();
            if (hold)
                Console.In.ReadLine();
            return 0;
        }
        if (remove > 0)
            return RemovalBenchmark.Run(remove, runs); // its own mode: see RemovalBenchmark.cs
        int maxTw = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/tcp_max_tw_buckets").Trim());
        if (n < 0 || n > 128000 || n >= maxTw - 1000)
        {
            Console.Error.WriteLine($"--timewait must be 0..{Math.Min(128000, maxTw - 1001)} (tcp_max_tw_buckets = {maxTw}).");
            return 2;
        }

        Console.WriteLine($"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        if (n == 0)
            return Measure(runs, 0);
        using var fill = TimeWaitFill.Make(n, Console.Out);
        try
        {
            if (hold)
            {
                // For TimeWait.Bench.ps1: the rows stay until a line (or EOF) arrives on stdin, then go.
                Console.WriteLine($"ready: {fill.Made} rows in {fill.Took.TotalSeconds:F1} s; filter: {fill.SsFilter}");
                Console.Out.Flush();
                Console.In.ReadLine();
                return 0;
            }
            return Measure(runs, 0);
        }
        finally
        {
            fill.Clear(Console.Out);
        }
    }

    static int Measure(int runs, int onePort)
    {
        if (onePort == 0) // table used as is: query the local port of some TIME_WAIT row
            onePort = TcpTable.ReadTimeWait(new TcpTableFilter()).Select(r => r.LocalPort).FirstOrDefault();
        var all = new TcpTableFilter();
        var one = new TcpTableFilter { LocalPorts = new[] { onePort } };

        int CountNetlink() { int c = 0; foreach (var _ in TcpTable.ReadTimeWait(all.From(TcpTableSource.Netlink))) c++; return c; }
        int CountProc() { int c = 0; foreach (var _ in TcpTable.ReadTimeWait(all.From(TcpTableSource.ProcNet))) c++; return c; }
        int CountOnePort() { int c = 0; foreach (var _ in TcpTable.ReadTimeWait(one.From(TcpTableSource.Netlink))) c++; return c; }
        int CountIpgp() => IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpConnections()
            .Count(c => c.State == System.Net.NetworkInformation.TcpState.TimeWait);
        // The cost of owners on Linux: Listen rows are resolved by default, every row on request
        // (-OwningProcess), both through one walk of /proc/*/fd per read, as ss -p does.
        int CountAllRows() => TcpTable.Read(new TcpTableFilter()).Count();
        int CountAllRowsWithOwners() => TcpTable.Read(new TcpTableFilter()).Select(r => r.OwningProcess).Count(); // the selector reads each owner
        int CountSs() => Ss.CountLines("-tan state time-wait", skipHeader: true);
        int CountSsProcesses() => Ss.CountLines("-tanp", skipHeader: true);

        var benches = new (string Name, Func<int> Run)[]
        {
            ("ss -tan state time-wait (child process)", CountSs),
            ("TcpClose netlink, all TIME_WAIT", CountNetlink),
            ("TcpClose /proc/net/tcp{,6}, all TIME_WAIT", CountProc),
            ("IPGlobalProperties, TimeWait", CountIpgp),
            ($"TcpClose netlink, one local port ({onePort})", CountOnePort),
            ("TcpClose every row, owners of Listen rows", CountAllRows),
            ("TcpClose every row, owners of every row", CountAllRowsWithOwners),
            ("ss -tanp (every row, with processes)", CountSsProcesses),
        };
        Console.WriteLine($"TIME_WAIT rows now: {CountNetlink()} (netlink); best of {runs} runs each:");
        var results = new List<(string Name, double Ms, int Rows, long Bytes)>();
        foreach (var (name, run) in benches)
        {
            run(); // JIT and page cache warm-up
            double best = double.MaxValue;
            int rows = 0;
            long bytes = 0;
            for (int r = 0; r < runs; r++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var sw = Stopwatch.StartNew();
                rows = run();
                sw.Stop();
                long alloc = GC.GetAllocatedBytesForCurrentThread() - before;
                if (sw.Elapsed.TotalMilliseconds < best)
                {
                    best = sw.Elapsed.TotalMilliseconds;
                    bytes = alloc;
                }
            }
            results.Add((name, best, rows, bytes));
        }
        double ss = results[0].Ms;
        double full = results[1].Ms;
        // Managed bytes allocated on this thread during the best run (the ss row is the parent's side only).
        Console.WriteLine($"{"reader",-48} {"rows",7} {"ms",9} {"x ss",7} {"B/row",8} {"KB/read",8}");
        foreach (var r in results)
            Console.WriteLine($"{r.Name,-48} {r.Rows,7} {r.Ms,9:F2} {r.Ms / ss,7:F3} {(r.Name.StartsWith("ss") || r.Rows == 0 ? "-" : ((double)r.Bytes / r.Rows).ToString("F0")),8} {(r.Name.StartsWith("ss") ? "-" : (r.Bytes / 1024.0).ToString("F1")),8}");
        Console.WriteLine($"target full netlink read <= 0.5 x ss: {(full <= 0.5 * ss ? "met" : "NOT met")} ({full / ss:F3})");
        Console.WriteLine($"target one-port query <= 0.1 x full read: {(results[4].Ms <= 0.1 * full ? "met" : "NOT met")} ({results[4].Ms / full:F4})");
        Console.WriteLine($"TIME_WAIT rows at the end: {CountNetlink()}");
        Console.WriteLine("note: a one-port query still walks every socket in the kernel's established hash (it has no");
        Console.WriteLine("      port index); TcpClose makes that one walk for both families (TCPDIAG_GETSOCK compat dump).");
        return 0;
    }
}
