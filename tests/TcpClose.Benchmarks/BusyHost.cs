// --owners N: a busy host for the owner benchmark (Owners.Bench.ps1). N worker processes, each
// holding C loopback connections and F descriptors of an ordinary file, plus one "holder" process
// with one listener and one connection on a port of its own: the row whose owner is asked for.
// Loopback only. The workers are bash (it opens TCP connections through /dev/tcp) that, once
// connected, exec sleep: the process keeps every descriptor and costs little memory. Each sleeps
// at most 15 minutes, so nothing outlives a benchmark that was killed; normally they are killed
// at the end, with the holder, and the temp file goes.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

sealed class BusyHost : IDisposable
{
    readonly List<Process> _workers = new();
    readonly List<Socket> _accepted = new();
    readonly Socket _listener;
    readonly string _file;
    Process? _holder;
    volatile string? _acceptFailed;

    public int FillPort { get; }
    public int Port { get; private set; }
    public int HolderPid => _holder?.Id ?? 0;

    BusyHost()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4096);
        FillPort = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _file = Path.Combine(Path.GetTempPath(), $"tcpclose-busyhost-{Environment.ProcessId}.txt");
        File.WriteAllText(_file, "an ordinary file the workers hold open\n");
    }

    /// <summary>Starts the workers and the holder (first or last in /proc order) and waits until all are connected.</summary>
    public static BusyHost Make(int processes, int connections, int files, bool holderLast, TextWriter log)
    {
        var host = new BusyHost();
        try
        {
            var accept = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        Socket s = host._listener.Accept();
                        lock (host._accepted)
                            host._accepted.Add(s);
                    }
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted || e.SocketErrorCode == SocketError.Interrupted)
                {
                    // the listener closed: the fill is over
                }
                catch (SocketException e)
                {
                    host._acceptFailed = $"accept failed: {e.SocketErrorCode} ({e.Message})";
                }
                catch (ObjectDisposedException) { }
            }) { IsBackground = true };
            accept.Start();

            var clock = Stopwatch.StartNew();
            if (!holderLast)
                host.StartHolder();
            string script = $"for ((i=0;i<{connections};i++)); do exec {{s}}<>/dev/tcp/127.0.0.1/{host.FillPort} || exit 3; done; " +
                $"for ((i=0;i<{files};i++)); do exec {{f}}<'{host._file}' || exit 4; done; exec sleep 900";
            for (int i = 0; i < processes; i++)
            {
                // No redirection: a pipe per worker would cost this process a descriptor each.
                var psi = new ProcessStartInfo("bash", new[] { "-c", script }) { UseShellExecute = false };
                host._workers.Add(Process.Start(psi)!);
            }
            if (holderLast)
                host.StartHolder();
            int want = processes * connections;
            while (true)
            {
                int have;
                lock (host._accepted)
                    have = host._accepted.Count;
                if (have >= want)
                    break;
                if (host._acceptFailed != null)
                    throw new InvalidOperationException($"{host._acceptFailed} after {have} of {want} connections");
                Process? failed = host._workers.FirstOrDefault(w => w.HasExited);
                if (failed != null)
                    throw new InvalidOperationException($"a worker exited with {failed.ExitCode} before it had connected ({have} of {want} connections)");
                if (clock.Elapsed > TimeSpan.FromMinutes(5))
                    throw new TimeoutException($"only {have} of {want} connections within 5 minutes");
                Thread.Sleep(50);
            }
            log.WriteLine($"fill: {processes} processes x ({connections} connections + {files} files) in {clock.Elapsed.TotalSeconds:F1} s; holder (pid {host.HolderPid}) started {(holderLast ? "last" : "first")}");
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The holder: this benchmark's own binary in --hold-port mode, one listener and one connection.</summary>
    void StartHolder()
    {
        string self = typeof(BusyHost).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet", new[] { self, "--hold-port" }) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        _holder = Process.Start(psi)!;
        string? line = _holder.StandardOutput.ReadLine();
        if (line == null || !line.StartsWith("port ") || !int.TryParse(line.Substring(5), out int port))
            throw new InvalidOperationException($"the holder said '{line}'");
        Port = port;
    }

    /// <summary>--hold-port: a listener on 127.0.0.1 and one connection to it (both ends here); prints "port P" and holds them until stdin closes.</summary>
    public static int HoldPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using Socket server = listener.Accept();
        Console.WriteLine($"port {((IPEndPoint)listener.LocalEndPoint!).Port}");
        Console.Out.Flush();
        Console.In.ReadToEnd();
        return 0;
    }

    /// <summary>Processes under /proc and descriptors among them (those readable here).</summary>
    public static (int Processes, long Descriptors) Count()
    {
        int processes = 0;
        long fds = 0;
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
                continue;
            processes++;
            try { fds += Directory.GetFileSystemEntries(dir + "/fd").Length; }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { }
        }
        return (processes, fds);
    }

    public void Dispose()
    {
        // The server ends go first, with RST (linger 0): neither side is left in TIME_WAIT.
        _listener.Dispose();
        lock (_accepted)
        {
            foreach (Socket s in _accepted)
            {
                s.LingerState = new LingerOption(true, 0);
                s.Dispose();
            }
        }
        foreach (Process w in _workers)
        {
            try { if (!w.HasExited) w.Kill(); w.WaitForExit(5000); }
            catch (InvalidOperationException) { }
            w.Dispose();
        }
        if (_holder != null)
        {
            try { _holder.StandardInput.Close(); _holder.WaitForExit(5000); if (!_holder.HasExited) _holder.Kill(); }
            catch (InvalidOperationException) { }
            _holder.Dispose();
        }
        try { File.Delete(_file); } catch (IOException) { }
    }
}
