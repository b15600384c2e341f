using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace LoadGen;

/// <summary>Command-line settings of one scenario run.</summary>
internal sealed class Settings
{
    public required IPEndPoint Endpoint { get; init; }

    public int ServerPid { get; init; }

    public string Label { get; init; } = "server";

    public bool Quick { get; init; }

    public string? Out { get; init; }

    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    public double Get(string name, double full, double quick)
        => Values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : Quick ? quick : full;

    public int GetInt(string name, int full, int quick) => (int)Get(name, full, quick);

    public TimeSpan Seconds(string name, double full, double quick) => TimeSpan.FromSeconds(Get(name, full, quick));
}

/// <summary>CPU time of this process and of the server, and the server's RSS, from /proc.</summary>
internal static class ProcStats
{
    private const double TicksPerSecond = 100.0; // USER_HZ on Linux

    /// <summary>utime + stime of a process, in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var (user, system) = CpuSplit(pid);
        return user + system;
    }

    /// <summary>utime and stime of a process (0: this one), in seconds.</summary>
    public static (double User, double System) CpuSplit(int pid)
    {
        var stat = File.ReadAllText($"/proc/{(pid == 0 ? "self" : pid.ToString(CultureInfo.InvariantCulture))}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

        // After "pid (comm) ": field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) / TicksPerSecond, long.Parse(fields[12], CultureInfo.InvariantCulture) / TicksPerSecond);
    }

    /// <summary>Busy and total jiffies of each CPU, from /proc/stat.</summary>
    public static (long Busy, long Total)[] Cpus()
    {
        var result = new List<(long, long)>();
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (!line.StartsWith("cpu", StringComparison.Ordinal) || line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                continue;
            }

            // user nice system idle iowait irq softirq steal ...
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var idle = f[3] + f[4];
            var total = f.Take(8).Sum();
            result.Add((total - idle, total));
        }

        return [.. result];
    }

    /// <summary>VmRSS of a process, in KiB.</summary>
    public static long RssKiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}

/// <summary>Wall time and CPU use of the load generator and the server over a measurement window.</summary>
internal sealed class Window
{
    private readonly int _serverPid;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly (double User, double System) _selfCpu = ProcStats.CpuSplit(0);
    private readonly double _serverCpu;
    private readonly (long Busy, long Total)[] _cpus = ProcStats.Cpus();

    public Window(int serverPid)
    {
        _serverPid = serverPid;
        _serverCpu = serverPid > 0 ? ProcStats.CpuSeconds(serverPid) : 0;
    }

    public double Seconds { get; private set; }

    public double LoadGenCpuPercent { get; private set; }

    public double LoadGenSystemPercent { get; private set; }

    public double ServerCpuPercent { get; private set; }

    /// <summary>CPU time used on the machine by anything but the server and the load generator (other tenants, builds), in % of one core.</summary>
    public double OtherCpuPercent { get; private set; }

    public Window Stop()
    {
        Seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var (user, system) = ProcStats.CpuSplit(0);
        LoadGenCpuPercent = 100 * (user + system - _selfCpu.User - _selfCpu.System) / Seconds;
        LoadGenSystemPercent = 100 * (system - _selfCpu.System) / Seconds;
        ServerCpuPercent = _serverPid > 0 ? 100 * (ProcStats.CpuSeconds(_serverPid) - _serverCpu) / Seconds : double.NaN;
        var cpus = ProcStats.Cpus();
        var busy = cpus.Zip(_cpus, (now, then) => (double)(now.Busy - then.Busy) / Math.Max(1, now.Total - then.Total)).Sum();
        OtherCpuPercent = Math.Max(0, (100 * busy) - LoadGenCpuPercent - (double.IsNaN(ServerCpuPercent) ? 0 : ServerCpuPercent));
        return this;
    }
}

/// <summary>
/// Warm-up. Tiered compilation promotes hot code in the background; on one saturated core (where the runtime also
/// multiplies its tiering delay by 10) our server runs tier-0 code for the first 20 to 60 s of load, at less than half
/// its steady-state speed. So every server gets the same long minimum warm-up of the same load, then the rate must be
/// steady. Node's rate is steady within seconds.
/// </summary>
internal static class WarmUp
{
    /// <summary>Print each one-second rate (LOADGEN_PROGRESS=1).</summary>
    public static bool Progress { get; } = Environment.GetEnvironmentVariable("LOADGEN_PROGRESS") == "1";

    /// <summary>
    /// Waits at least <paramref name="min"/>, then until three consecutive one-second rates of <paramref name="counter"/>
    /// are within 5% of their mean (at most <paramref name="max"/>).
    /// Returns the seconds waited and the one-second rates.
    /// </summary>
    public static async Task<(double Seconds, List<double> Rates)> UntilSteadyAsync(Settings settings, Func<long> counter, TimeSpan min, TimeSpan max)
    {
        _ = settings;
        var watch = Stopwatch.StartNew();
        var rates = new List<double>();
        var last = counter();
        var lastAt = watch.Elapsed;
        while (watch.Elapsed < max)
        {
            await Task.Delay(1000);
            var now = counter();
            var at = watch.Elapsed;
            rates.Add((now - last) / (at - lastAt).TotalSeconds);
            (last, lastAt) = (now, at);
            if (Progress)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  warm-up {at.TotalSeconds:0}s: {rates[^1]:0}/s"));
            }

            if (at >= min && rates.Count >= 3)
            {
                var recent = rates.TakeLast(3).ToArray();
                var mean = recent.Average();
                if (mean > 0 && recent.All(r => Math.Abs(r - mean) <= 0.05 * mean))
                {
                    break;
                }
            }
        }

        return (watch.Elapsed.TotalSeconds, rates);
    }

    /// <summary>Keeps <paramref name="load"/> running for <paramref name="duration"/>.</summary>
    public static async Task<double> UnderLoadAsync(Func<CancellationToken, Task> load, TimeSpan duration)
    {
        using var stop = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        var running = load(stop.Token);
        await Task.Delay(duration);
        await stop.CancelAsync();
        await running;
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>The mean of the first <paramref name="seconds"/> one-second rates (the server just started: code not yet tiered up).</summary>
    public static double Cold(List<double> rates, int seconds = 5) => rates.Count == 0 ? double.NaN : rates.Take(seconds).Average();

    /// <summary>
    /// GET /metrics over a blocking socket (HTTP/1.0) on a thread-pool thread, or null. Not HttpClient: with inline
    /// socket completions (set by Program) a blocking step inside it can stall the one epoll thread, and every client with it.
    /// </summary>
    public static Task<string?> ScrapeMetricsAsync(Settings settings) => Task.Run(() =>
    {
        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
            {
                ReceiveTimeout = 5000,
                SendTimeout = 5000,
            };
            socket.Connect(settings.Endpoint);
            socket.Send(System.Text.Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.0\r\nHost: {settings.Endpoint}\r\n\r\n"));
            using var body = new MemoryStream();
            var buffer = new byte[65536];
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                body.Write(buffer, 0, n);
            }

            var text = System.Text.Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
            return text.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) || text.StartsWith("HTTP/1.0 200", StringComparison.Ordinal) ? text : null;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    });
}

/// <summary>Percentiles of a set of samples.</summary>
internal static class Percentiles
{
    public static double Of(long[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>Counts down a number of expected acks; used while setting clients up.</summary>
internal sealed class SetupHandler : IClientHandler
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining;

    public SetupHandler(int expected)
    {
        _remaining = expected;
        if (expected == 0)
        {
            _done.TrySetResult();
        }
    }

    public Task Done => _done.Task;

    public int Failures;

    public void OnEvent(SioClient client, ReadOnlySpan<byte> packet)
    {
    }

    public void OnAck(SioClient client, long id, ReadOnlySpan<byte> args)
    {
        if (args.StartsWith("[{\"error\""u8))
        {
            Interlocked.Increment(ref Failures);
        }

        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }
}

/// <summary>Opening and closing many clients with bounded concurrency.</summary>
internal static class Clients
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Opens <paramref name="count"/> clients, <paramref name="concurrency"/> at a time.</summary>
    public static async Task<SioClient[]> OpenAsync(Settings settings, int count, int concurrency, IClientHandler? handler, int receiveBuffer = 8192)
    {
        var request = SioClient.UpgradeRequest(settings.Endpoint);
        var clients = new SioClient[count];
        var next = -1;
        var workers = Enumerable.Range(0, Math.Min(concurrency, count)).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                clients[i] = await SioClient.ConnectAsync(settings.Endpoint, request, handler, ConnectTimeout, receiveBuffer);
            }
        });
        await Task.WhenAll(workers);
        return clients;
    }

    /// <summary>Closes clients (WebSocket close handshake), <paramref name="concurrency"/> at a time.</summary>
    public static async Task CloseAsync(IReadOnlyList<SioClient?> clients, int concurrency = 200)
    {
        var next = -1;
        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(concurrency, clients.Count))).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < clients.Count)
            {
                if (clients[i] is { } client)
                {
                    await client.CloseAsync(CloseTimeout);
                }
            }
        });
        await Task.WhenAll(workers);
    }

    /// <summary>Each pair joins its own room (first a, then b) and the handler is switched to <paramref name="handler"/>.</summary>
    public static async Task JoinPairsAsync(SioClient[] clients, string roomPrefix, IClientHandler handler)
    {
        foreach (var half in new[] { 0, 1 })
        {
            var setup = new SetupHandler(clients.Length / 2);
            for (var p = 0; p < clients.Length / 2; p++)
            {
                var client = clients[(2 * p) + half];
                client.Handler = setup;
                client.Emit(System.Text.Encoding.UTF8.GetBytes($"[\"join\",\"{roomPrefix}-{p}\"]"), withAck: true);
                client.Flush();
            }

            await setup.Done.WaitAsync(TimeSpan.FromSeconds(30));
            if (setup.Failures > 0)
            {
                throw new InvalidOperationException($"{setup.Failures} joins failed");
            }
        }

        foreach (var client in clients)
        {
            client.Handler = handler;
        }
    }

    /// <summary>A candidate-shaped exchange body to <paramref name="to"/>: <c>["exchange",{"to":..,"type":"candidate",&lt;extra&gt;"candidate":{..}}]</c>.</summary>
    public static string CandidateJson(string to, string extra = "")
        => "[\"exchange\",{\"to\":\"" + to + "\",\"type\":\"candidate\"," + extra +
           "\"candidate\":{\"candidate\":\"candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ srflx raddr 10.0.0.2 rport 54321 generation 0 ufrag Xy7q network-cost 50\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}]";
}
