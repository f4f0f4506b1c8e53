// Fills network namespaces (made by Namespaces.Bench.ps1) with TIME_WAIT rows on their own loopback.
// Loopback only, inside namespaces that vanish with their rows: no packet leaves the machine.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TcpClose;

/// <summary>
/// R client-side TIME_WAIT rows in each named namespace: a listener and R clients, made inside it (the
/// sockets keep its namespace), each client closing first. Nothing is cleared: `ip netns delete`
/// takes a namespace's rows with it.
/// </summary>
static class NamespaceFill
{
    public static int Run(IReadOnlyList<string> names, int rows, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        int made = 0;
        foreach (string name in names)
        {
            NetworkNamespace ns = NetworkNamespace.Resolve(name);
            // Every socket is made on the namespace's thread; connect, accept and close work anywhere.
            made += ns.Run(() => Fill(rows));
            if (clock.Elapsed > TimeSpan.FromSeconds(45))
                throw new TimeoutException($"filling took over 45 s after {made} rows: TIME_WAIT rows last 60 s, so the first would be gone before the last");
        }
        log.WriteLine($"ready: {made} TIME_WAIT rows in {names.Count} namespaces in {clock.Elapsed.TotalSeconds:F1} s");
        return made;
    }

    static int Fill(int rows)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1024);
        var ep = (IPEndPoint)listener.LocalEndPoint!;
        for (int i = 0; i < rows; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(ep);
            using Socket server = listener.Accept();
            client.Shutdown(SocketShutdown.Send); // the client's FIN first
            server.Receive(new byte[1]);          // read it: closing with unread data would send RST
            client.Close();
            server.Close();                       // the server's FIN: the client side goes to TIME_WAIT
        }
        return rows;
    }
}
