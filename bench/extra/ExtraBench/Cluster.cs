using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ExtraBench;

/// <summary>Where the children run and what they are.</summary>
internal sealed record Settings(string ServerDll, string RedisServer, string WorkDir, string ServerCpus, bool Quick, IReadOnlyDictionary<string, string> ServerEnvironment)
{
    public double Pick(double full, double quick) => Quick ? quick : full;

    public int Pick(int full, int quick) => Quick ? quick : full;
}

/// <summary>One or two fresh server nodes, with a fresh redis-server when asked: every scenario starts from empty state.</summary>
internal sealed class Cluster : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly List<ChildProcess> _processes = [];

    private Cluster()
    {
    }

    public List<Uri> Nodes { get; } = [];

    public List<IPEndPoint> Endpoints { get; } = [];

    public IReadOnlyList<ChildProcess> Processes => _processes;

    /// <summary>Starts redis-server (if <paramref name="redis"/>) and <paramref name="nodes"/> server processes, all on the server CPUs.</summary>
    public static async Task<Cluster> StartAsync(Settings settings, string label, bool redis, int nodes)
    {
        try
        {
            return await TryStartAsync(settings, label, redis, nodes);
        }
        catch (InvalidOperationException ex)
        {
            // A port taken meanwhile by another tenant, a start that stalled on a busy core: one more try.
            Console.Error.WriteLine($"start failed, retrying once: {ex.Message}");
            return await TryStartAsync(settings, label + "-retry", redis, nodes);
        }
    }

    private static async Task<Cluster> TryStartAsync(Settings settings, string label, bool redis, int nodes)
    {
        var cluster = new Cluster();
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",

                // The benchmark's callers are a few users sending thousands of invitations a second; the default per-caller
                // limit (600 a minute) would answer 429.
                ["RateLimit__PermitLimit"] = "1000000000",
            };
            foreach (var (key, value) in settings.ServerEnvironment)
            {
                environment[key] = value;
            }

            if (redis)
            {
                var port = Proc.FreePort();
                var log = Path.Combine(settings.WorkDir, $"{label}-redis.log");
                cluster._processes.Add(ChildProcess.Start("redis", settings.ServerCpus, log, new Dictionary<string, string>(), settings.WorkDir,
                    settings.RedisServer, "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"));
                await WaitForRedisAsync(port, cluster._processes[^1]);
                environment["Redis__Configuration"] = $"127.0.0.1:{port}";
            }

            var serverDirectory = Path.GetDirectoryName(settings.ServerDll)!;
            for (var i = 0; i < nodes; i++)
            {
                var port = Proc.FreePort();
                var url = $"http://127.0.0.1:{port}";
                var name = nodes == 1 ? "server" : $"node{i + 1}";
                var log = Path.Combine(settings.WorkDir, $"{label}-{name}.log");
                cluster._processes.Add(ChildProcess.Start(name, settings.ServerCpus, log, environment, serverDirectory, "dotnet", settings.ServerDll, "--urls", url));
                cluster.Nodes.Add(new Uri(url));
                cluster.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, port));
            }

            for (var i = 0; i < nodes; i++)
            {
                await WaitReadyAsync(cluster.Nodes[i], cluster._processes[^(nodes - i)]);
            }

            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // Servers first, then Redis (a node whose Redis vanished logs reconnect attempts).
        foreach (var process in _processes.AsEnumerable().Reverse())
        {
            process.Dispose();
        }
    }

    /// <summary>Fails if a node died during the scenario.</summary>
    public void CheckAlive()
    {
        foreach (var process in _processes.Where(p => p.HasExited))
        {
            throw new InvalidOperationException($"{process.Name} exited; log {process.Log}:\n{Tail(process.Log)}");
        }
    }

    private static async Task WaitReadyAsync(Uri node, ChildProcess process)
    {
        for (var i = 0; i < 450; i++)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var response = await Http.GetAsync(new Uri(node, "/health/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"{process.Name} at {node} did not become ready (exited: {process.HasExited}); log {process.Log}:\n{Tail(process.Log)}");
    }

    private static async Task WaitForRedisAsync(int port, ChildProcess process)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port);
                await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None);
                var buffer = new byte[64];
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                if (Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException)
            {
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"redis-server did not answer on port {port}; log {process.Log}:\n{Tail(process.Log)}");
    }

    private static string Tail(string path)
        => File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(20)) : "(no log)";
}
