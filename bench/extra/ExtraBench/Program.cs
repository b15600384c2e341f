using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ExtraBench;

// bench/extra.sh runs this pinned to the load generator's core; it starts fresh servers (and redis-server) per scenario.
var options = new Dictionary<string, string>();
var quick = false;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--quick")
    {
        quick = true;
    }
    else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
    {
        options[args[i][2..]] = args[++i];
    }
    else
    {
        Console.Error.WriteLine($"unknown argument {args[i]}");
        return 2;
    }
}

string Option(string name, string? fallback = null)
    => options.TryGetValue(name, out var value) ? value : fallback ?? throw new ArgumentException($"--{name} is required");

var workDir = Option("work-dir");
Directory.CreateDirectory(workDir);
ChildProcess.PidFile = options.GetValueOrDefault("pid-file");
// --server-env NAME=VALUE[,NAME=VALUE…]: more environment for the server nodes (diagnostics, e.g. DOTNET_PerfMapEnabled=1).
var serverEnvironment = Option("server-env", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('=', 2)).ToDictionary(e => e[0], e => e.Length > 1 ? e[1] : "");
var settings = new Settings(Option("server-dll"), Option("redis-server", "redis-server"), workDir, Option("server-cpus", "0"), quick, serverEnvironment);
var only = Option("only", "invitations,relay").Split(',', StringSplitOptions.RemoveEmptyEntries);
var command = Option("command", "bench/extra.sh");
var started = DateTimeOffset.UtcNow;
var loadBefore = Proc.LoadAverage();
var allowed = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))?.Split(':')[1].Trim();
Console.WriteLine($"load average at start: {loadBefore}; load generator on CPU {allowed}, servers and redis-server on CPU {settings.ServerCpus}");

var invitations = new List<InvitationResult>();
var relays = new List<RelayResult>();
// --only takes prefixes of these names: "invitations", "relay", "relay-redis2", …
bool Selected(string name) => only.Any(o => name.StartsWith(o, StringComparison.Ordinal));
foreach (var (label, file, redis) in new[] { ("in memory", "invitations-memory", false), ("Redis", "invitations-redis", true) })
{
    if (Selected(file))
    {
        Console.WriteLine($"=== invitations, {label}");
        var result = await InvitationBench.RunAsync(settings, file, redis);
        invitations.Add(result with { Label = label });
        Console.WriteLine(InvitationBench.Format(invitations[^1]));
    }
}

foreach (var (label, file, redis, nodes) in new[] { ("one node, in memory", "relay-memory", false, 1), ("one node, Redis", "relay-redis1", true, 1), ("two nodes, Redis", "relay-redis2", true, 2) })
{
    if (Selected(file))
    {
        Console.WriteLine($"=== relay, {label}");
        var result = await RelayBench.RunAsync(settings, file, redis, nodes);
        relays.Add(result with { Label = label });
        Console.WriteLine(RelayBench.Format(relays[^1]));
    }
}

var loadAfter = Proc.LoadAverage();
var elapsed = DateTimeOffset.UtcNow - started;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average at end: {loadAfter}; {elapsed.TotalSeconds:0} s"));

var json = new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
await File.WriteAllTextAsync(Path.Combine(workDir, "result.json"), JsonSerializer.Serialize(new { started, loadBefore, loadAfter, quick, invitations, relays }, json));

var machine = Machine();
var header = string.Create(CultureInfo.InvariantCulture,
    $"`{command}` on {started:yyyy-MM-dd HH:mm} UTC ({elapsed.TotalMinutes:0.0} min for both sections); {machine}; load average {loadBefore} at the start, {loadAfter} at the end (1/5/15 min; the machine is shared: the `other` CPU column is what other tenants used meanwhile).");
// A section is written only with all its columns (not after a partial --only).
if (invitations.Count == 2)
{
    await File.WriteAllTextAsync(Path.Combine(workDir, "invitations.md"), InvitationSection(header, invitations));
}

if (relays.Count == 3)
{
    await File.WriteAllTextAsync(Path.Combine(workDir, "relay.md"), RelaySection(header, relays, settings.ServerCpus));
}

return 0;

static string Machine()
{
    var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
    var os = File.Exists("/etc/os-release")
        ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"') ?? "Linux"
        : RuntimeInformation.OSDescription;
    return $"{model}, {Proc.MachineCpus} cores, {os}, {RuntimeInformation.FrameworkDescription}";
}

static string F(double value, string format) => double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

static string Cpu(CpuWindow w, params string[] names)
    => string.Join(" / ", names.Select(n => w.Children.TryGetValue(n, out var v) ? F(v, "0") + "%" : "–")) + $" / {F(w.LoadGen, "0")}% / {F(w.Other, "0")}%";

static string InvitationSection(string header, List<InvitationResult> results)
{
    var r0 = results[0];
    var s = new StringBuilder();
    s.AppendLine("## Invitations").AppendLine();
    s.AppendLine(header).AppendLine();
    s.AppendLine(string.Create(CultureInfo.InvariantCulture,
        $"One server node (Release, Development settings: `X-User-Id`, `RateLimit__PermitLimit` raised so that the benchmark's callers are not answered 429; request log at Information to a file, as shipped), pinned to CPU 0 with its redis-server (`--save \"\" --appendonly no`); the load generator (`bench/extra/ExtraBench`) on CPU 1. Fresh server and Redis for each column. " +
        $"{r0.Callees:N0} callees connected over Socket.IO (WebSocket, `auth: {{userId, deviceId}}`) as distinct users; caller k sends `POST /v1/invitations {{invitees:[callee-k]}}` (`X-User-Id: caller-k`, k round robin) through an HttpClient on HTTP/1.1 keep-alive connections. " +
        $"**Each callee refuses** every invitation as soon as `incomingInvitationReceived` reaches its socket (`POST …/refuse` with its device id, from a second pool of {r0.Concurrency} connections), so no pending list grows and one send is a whole ring–decline cycle for the server: two REST calls, one socket event, no push (no devices registered). " +
        $"Max rate: {r0.Concurrency} sends in flight back to back, warm-up at max rate until the server's JIT has compiled nothing for 3 s (at least 15 s, at most 30 s: on a busy core tiering goes on for tens of seconds), then 10 s measured. Latency: then an open loop at a fixed {F(r0.LatencyRate, "0")} sends/s for 10 s; the send's `Stopwatch` time travels in `extendedData` and is subtracted when the event arrives (one process, one clock)."));
    s.AppendLine();
    s.AppendLine("| figure | " + string.Join(" | ", results.Select(r => r.Label)) + " |");
    s.AppendLine("| --- |" + string.Concat(results.Select(_ => " ---: |")));
    Row("**sends per second** (201s), " + r0.Concurrency + " in flight", r => $"**{F(r.SendsPerSecond, "N0")}**");
    Row("refuses per second meanwhile (200s)", r => F(r.RefusesPerSecond, "N0"));
    Row("non-201 answers / refuse errors", r => $"{r.Non201} / {r.RefuseErrors}");
    Row("warm-up; methods JIT-compiled while measuring", r => $"{F(r.WarmUpSeconds, "0")} s; {r.JitDuringMeasure}");
    Row("CPU at max rate: server / redis / load generator / other", r => Cpu(r.RateCpu, "server", "redis"));
    Row($"**POST → `incomingInvitationReceived`** at {F(r0.LatencyRate, "0")}/s, p50 / p99 (max)", r => $"**{F(r.EventMs[0], "0.00")} / {F(r.EventMs[1], "0.00")} ms** ({F(r.EventMs[2], "0.0")})");
    Row($"POST → 201 at {F(r0.LatencyRate, "0")}/s, p50 / p99", r => $"{F(r.ResponseMs[0], "0.00")} / {F(r.ResponseMs[1], "0.00")} ms");
    Row("samples (events missing)", r => $"{r.LatencySamples:N0} ({r.Missing})");
    Row($"CPU at {F(r0.LatencyRate, "0")}/s: server / redis / load generator / other", r => Cpu(r.LatencyCpu, "server", "redis"));
    Row("load average after the column", r => r.LoadAverage);
    return s.ToString();

    void Row(string name, Func<InvitationResult, string> cell) => s.AppendLine($"| {name} | " + string.Join(" | ", results.Select(cell)) + " |");
}

static string RelaySection(string header, List<RelayResult> results, string serverCpus)
{
    var r0 = results[0];
    var s = new StringBuilder();
    s.AppendLine("## Two-node relay").AppendLine();
    s.AppendLine(header).AppendLine();
    s.AppendLine(string.Create(CultureInfo.InvariantCulture,
        $"Fresh processes per column, all server-side processes pinned to CPU {serverCpus} — with two nodes **both nodes and redis-server share that one core** — and the load generator on CPU 1: every column has the same server-side CPU budget, so the differences are the cost per message of Redis and of crossing nodes, not extra capacity (two cores for two nodes would have put one node on the load generator's core). " +
        $"{r0.Pairs} pairs of anonymous Socket.IO (WebSocket) clients, each pair in its own room; with two nodes the first peer of every pair is on node 1 and the second on node 2, so every message crosses (directory lookup + publish to the owning node's channel). Messages are candidate-shaped `exchange`s (~250 bytes) carrying the send time. " +
        $"Throughput: both peers send to each other with {r0.Window} messages in flight each way, the window closing when the peer *receives* (end to end, not at the sender's node's ack); warm-up until the nodes' JIT is quiet (as above, 15–30 s), then 10 s counted at the receivers. " +
        $"Latency: the first peer of each pair sends to the second at a fixed {F(r0.LatencyRate, "N0")} msg/s in total (open loop, one sender thread) for 10 s; one-way time measured at the receiver (same process)."));
    s.AppendLine();
    s.AppendLine("| figure | " + string.Join(" | ", results.Select(r => r.Label)) + " |");
    s.AppendLine("| --- |" + string.Concat(results.Select(_ => " ---: |")));
    Row("**relay throughput**, msg/s received", r => $"**{F(r.MessagesPerSecond, "N0")}**");
    Row("warm-up; methods JIT-compiled while measuring", r => $"{F(r.WarmUpSeconds, "0")} s; {r.JitDuringMeasure}");
    Row("CPU at max rate: server or node 1 / node 2 / redis / load generator / other", r => Cpu(r.RateCpu, r.RateCpu.Children.ContainsKey("node1") ? "node1" : "server", "node2", "redis"));
    Row($"**latency** at {F(r0.LatencyRate, "N0")} msg/s, p50 / p99", r => $"**{F(r.LatencyMs[0], "0.000")} / {F(r.LatencyMs[1], "0.000")} ms**");
    Row("p99.9 / max", r => $"{F(r.LatencyMs[2], "0.00")} / {F(r.LatencyMs[3], "0.0")} ms");
    Row("samples (missing)", r => $"{r.LatencySamples:N0} ({r.Missing})");
    Row($"CPU at {F(r0.LatencyRate, "N0")} msg/s: server or node 1 / node 2 / redis / load generator / other", r => Cpu(r.LatencyCpu, r.LatencyCpu.Children.ContainsKey("node1") ? "node1" : "server", "node2", "redis"));
    Row("load average after the column", r => r.LoadAverage);
    return s.ToString();

    void Row(string name, Func<RelayResult, string> cell) => s.AppendLine($"| {name} | " + string.Join(" | ", results.Select(cell)) + " |");
}
