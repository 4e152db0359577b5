using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ArpgIlgpu.Tests.Weights;

/// <summary>What the fake server does wrong on one request.</summary>
public enum ServerFault
{
    /// <summary>Nothing: 200, or 206 for a Range request.</summary>
    None,

    /// <summary>Announces the full length, sends half of it, then closes the connection.</summary>
    DropHalfway,

    /// <summary>Sends the file with one byte flipped.</summary>
    Corrupt,

    /// <summary>Ignores a Range header and sends the whole file with 200.</summary>
    IgnoreRange,

    /// <summary>Reads the request and sends nothing until the client hangs up.</summary>
    Stall,
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 (ephemeral port) for download tests: serves byte arrays
/// under paths, honours <c>Range: bytes=N-</c>, redirects (302) as told, as Hugging Face redirects
/// its resolve/ URLs to a CDN, answers 404 for other paths, and misbehaves on
/// request as <see cref="ServerFault"/> says. One connection at a time, <c>Connection: close</c>
/// on every response; it stops itself after a minute at the latest.
/// </summary>
public sealed class FakeWeightServer : IAsyncDisposable
{
    /// <summary>One request as the server saw it.</summary>
    public sealed record Request(string Path, string? Range);

    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ConnectionLimit = TimeSpan.FromSeconds(20);
    private const int MaxHeadBytes = 16 * 1024;

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new(Lifetime);
    private readonly ConcurrentDictionary<string, byte[]> files = new();
    private readonly ConcurrentDictionary<string, string> redirects = new();
    private readonly ConcurrentQueue<ServerFault> faults = new();
    private readonly ConcurrentQueue<Request> requests = new();
    private readonly Task acceptLoop;
    private readonly ConcurrentBag<Task> connections = new();

    /// <summary>Starts listening.</summary>
    public FakeWeightServer()
    {
        listener.Start();
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>http://127.0.0.1:PORT, to be used as a mirror.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The requests served so far, in order.</summary>
    public IReadOnlyList<Request> Requests => requests.ToArray();

    /// <summary>Serves <paramref name="content"/> under the absolute <paramref name="path"/>.</summary>
    public void Serve(string path, byte[] content) => files[path] = content;

    /// <summary>Answers requests for <paramref name="path"/> with a 302 to <paramref name="target"/> on this server.</summary>
    public void Redirect(string path, string target) => redirects[path] = target;

    /// <summary>The next requests misbehave as listed, one fault each; later ones are served normally.</summary>
    public void FailNext(params ServerFault[] next)
    {
        foreach (ServerFault fault in next)
            faults.Enqueue(fault);
    }

    /// <summary>A port on 127.0.0.1 that nothing listens on (connections are refused).</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Stops listening and waits for the connection in progress to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10));
        stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            // Each connection on its own task: a stalled one must not delay the client's retry.
            connections.Add(Task.Run(() => ServeAsync(client)));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
        {
            limit.CancelAfter(ConnectionLimit);
            try
            {
                await HandleAsync(client.GetStream(), limit.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException
                                          or ObjectDisposedException)
            {
                // The client hung up or the connection ran out of time.
            }
        }
    }

    private async Task HandleAsync(NetworkStream stream, CancellationToken cancellation)
    {
        string head = await ReadHeadAsync(stream, cancellation);
        string[] lines = head.Split("\r\n");
        string path = lines[0].Split(' ')[1];
        string? range = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))?[6..].Trim();
        requests.Enqueue(new Request(path, range));
        ServerFault fault = faults.TryDequeue(out ServerFault next) ? next : ServerFault.None;

        if (fault == ServerFault.Stall)
        {
            // Returns when the client hangs up (0 bytes) or the connection's time is up.
            _ = await stream.ReadAsync(new byte[1], cancellation);
            return;
        }
        if (redirects.TryGetValue(path, out string? target))
        {
            await WriteHeadAsync(stream, "302 Found", [("Location", new Uri(BaseUrl, target).AbsoluteUri), ("Content-Length", "0")], cancellation);
            return;
        }
        if (!files.TryGetValue(path, out byte[]? content))
        {
            await WriteHeadAsync(stream, "404 Not Found", [("Content-Length", "0")], cancellation);
            return;
        }
        if (fault == ServerFault.Corrupt)
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0xFF;
        }

        long start = fault != ServerFault.IgnoreRange && range is not null ? long.Parse(range["bytes=".Length..].TrimEnd('-')) : 0;
        if (start >= content.Length)
        {
            await WriteHeadAsync(stream, "416 Range Not Satisfiable", [("Content-Range", $"bytes */{content.Length}"), ("Content-Length", "0")], cancellation);
            return;
        }
        int count = content.Length - (int)start;
        if (start > 0)
            await WriteHeadAsync(stream, "206 Partial Content",
                [("Content-Range", $"bytes {start}-{content.Length - 1}/{content.Length}"), ("Content-Length", $"{count}")], cancellation);
        else
            await WriteHeadAsync(stream, "200 OK", [("Content-Length", $"{count}")], cancellation);
        // A dropped connection still delivers what was sent before the close (FIN, not RST).
        await stream.WriteAsync(content.AsMemory((int)start, fault == ServerFault.DropHalfway ? count / 2 : count), cancellation);
    }

    private static async Task<string> ReadHeadAsync(NetworkStream stream, CancellationToken cancellation)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (head.Count > MaxHeadBytes || await stream.ReadAsync(one, cancellation) == 0)
                throw new IOException("request head too long or cut off");
            head.Add(one[0]);
        }
        return Encoding.ASCII.GetString(head.ToArray());
    }

    private static Task WriteHeadAsync(NetworkStream stream, string status, (string Name, string Value)[] headers,
        CancellationToken cancellation)
    {
        var text = new StringBuilder($"HTTP/1.1 {status}\r\nConnection: close\r\n");
        foreach ((string name, string value) in headers)
            text.Append($"{name}: {value}\r\n");
        text.Append("\r\n");
        return stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()), cancellation).AsTask();
    }
}
