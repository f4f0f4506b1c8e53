// Fills the TCP table with client-side TIME_WAIT rows on loopback and clears exactly those rows again.
// Loopback only: no packet leaves the machine.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

/// <summary>
/// N TIME_WAIT rows made by this process: clients on 127.0.0.2, 127.0.0.3, ... connect to listeners
/// on 127.0.0.1 and close first. The listeners stay open until <see cref="Dispose"/>, so no other
/// process can take their ports, and <see cref="Clear"/> destroys the rows of exactly these
/// (source address, listener port) pairs with <c>ss -K</c>: other processes' rows are never touched.
/// </summary>
sealed class TimeWaitFill : IDisposable
{
    /// <summary>At most this many connections per (source address, listener port): the ephemeral
    /// range is 32768..60999 (~28k ports) per destination, and with tcp_tw_reuse = 2 (loopback) a
    /// connect() that ran short of ports would recycle an older TIME_WAIT instead of adding one.</summary>
    const int PerPair = 7000;
    const int ListenerCount = 3;
    /// <summary>IPPROTO_IP option IP_BIND_ADDRESS_NO_PORT (linux/in.h): bind() fixes only the source
    /// address and connect() picks the port by the whole 4-tuple, so 28k ports per source and destination.</summary>
    const int IP_BIND_ADDRESS_NO_PORT = 24;

    readonly List<Socket> _listeners = new();
    public IReadOnlyList<int> ListenerPorts { get; }
    public IReadOnlyList<string> Sources { get; }
    public int Made { get; private set; }
    public TimeSpan Took { get; private set; }

    TimeWaitFill(int n)
    {
        int pairs = Math.Max(1, (n + PerPair - 1) / PerPair);
        int sources = (pairs + ListenerCount - 1) / ListenerCount;
        for (int i = 0; i < ListenerCount; i++)
        {
            var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            l.Listen(1024);
            _listeners.Add(l);
        }
        ListenerPorts = _listeners.Select(l => ((IPEndPoint)l.LocalEndPoint!).Port).ToArray();
        Sources = Enumerable.Range(2, sources).Select(i => $"127.0.0.{i}").ToArray();
    }

    /// <summary>Makes n TIME_WAIT rows (bounded: throws past 60 s), printing progress to <paramref name="log"/>.</summary>
    public static TimeWaitFill Make(int n, TextWriter log)
    {
        var fill = new TimeWaitFill(n);
        try
        {
            fill.Run(n, log);
        }
        catch
        {
            fill.Clear(log);
            fill.Dispose();
            throw;
        }
        return fill;
    }

    void Run(int n, TextWriter log)
    {
        log.WriteLine($"filling: {n} TIME_WAIT rows from {string.Join(",", Sources)} to 127.0.0.1 {(ListenerPorts.Count == 1 ? "port" : "ports")} {string.Join(",", ListenerPorts)}");
        var sw = Stopwatch.StartNew();
        const int batch = 256;
        var clients = new Socket[batch];
        var servers = new Socket[batch];
        var buf = new byte[1];
        var pairs = (from s in Sources from l in _listeners select (Source: IPAddress.Parse(s), Listener: l)).ToArray();
        int made = 0, nextReport = 10000;
        while (made < n)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(60))
                throw new TimeoutException($"fill too slow: {made} rows in {sw.Elapsed.TotalSeconds:F0} s");
            var (source, l) = pairs[(made / PerPair) % pairs.Length];
            var ep = (IPEndPoint)l.LocalEndPoint!;
            int k = Math.Min(batch, Math.Min(n - made, PerPair - made % PerPair));
            for (int i = 0; i < k; i++)
            {
                var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                c.SetRawSocketOption((int)SocketOptionLevel.IP, IP_BIND_ADDRESS_NO_PORT, BitConverter.GetBytes(1));
                c.Bind(new IPEndPoint(source, 0));
                c.Connect(ep);
                clients[i] = c;
            }
            for (int i = 0; i < k; i++)
                servers[i] = l.Accept();
            for (int i = 0; i < k; i++)
                clients[i].Close(); // active close: the client's 4-tuple goes to TIME_WAIT
            for (int i = 0; i < k; i++)
            {
                servers[i].ReceiveTimeout = 5000;
                servers[i].Receive(buf); // the client's FIN (EOF) is in before the server closes second
                servers[i].Close();
            }
            made += k;
            Made = made;
            if (made >= nextReport || made == n)
            {
                log.WriteLine($"  {made} connections closed, {sw.Elapsed.TotalSeconds:F1} s");
                nextReport += 10000;
            }
        }
        Took = sw.Elapsed;
    }

    /// <summary>The ss filter that matches this fill's rows and nothing else.</summary>
    public string SsFilter =>
        "( " + string.Join(" or ", Sources.Select(s => "src " + s)) + " ) and ( "
        + string.Join(" or ", ListenerPorts.Select(p => "dport = :" + p)) + " )";

    /// <summary>TIME_WAIT rows of this fill still in the table.</summary>
    public int Count() => Ss.CountLines($"-Htan state time-wait {SsFilter}");

    /// <summary>Destroys this fill's TIME_WAIT rows (ss -K, SOCK_DESTROY) and prints how many went.</summary>
    public int Clear(TextWriter log)
    {
        var sw = Stopwatch.StartNew();
        int killed = Ss.CountLines($"-HKtan state time-wait {SsFilter}");
        int left = Count();
        log.WriteLine($"cleared: {killed} TIME_WAIT rows of this benchmark destroyed with ss -K in {sw.Elapsed.TotalSeconds:F1} s; {left} of them left");
        return left;
    }


    public void Dispose()
    {
        foreach (var l in _listeners)
            l.Dispose();
        _listeners.Clear();
    }
}
