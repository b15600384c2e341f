using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoadGen;

// Usage:
//   LoadGen run <throughput|latency|calls|connect|memory> --url http://127.0.0.1:PORT [--server-pid PID] [--label NAME]
//               [--quick] [--out FILE] [--set name=value ...]
//   LoadGen report --dir DIR --json FILE [--markdown FILE] [--meta key=value ...]
// Socket completions run their continuations on the epoll thread instead of hopping to the thread pool
// (read once, when the first socket operation starts). The receive loops never block.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: LoadGen run <scenario> --url URL [--server-pid PID] [--label NAME] [--quick] [--out FILE] [--set k=v]... | LoadGen report --dir DIR --json FILE");
    return 2;
}

var options = ParseOptions(args.AsSpan(1));
if (args[0] == "report")
{
    return Report.Write(options);
}

if (args[0] != "run" || args.Length < 2)
{
    Console.Error.WriteLine("unknown command " + args[0]);
    return 2;
}

var scenario = args[1];
var uri = new Uri(Single(options, "url") ?? "http://127.0.0.1:3000");
var settings = new Settings
{
    Endpoint = new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port),
    ServerPid = int.Parse(Single(options, "server-pid") ?? "0", CultureInfo.InvariantCulture),
    Label = Single(options, "label") ?? uri.ToString(),
    Quick = options.ContainsKey("quick"),
    Out = Single(options, "out"),
};
foreach (var pair in options.GetValueOrDefault("set") ?? [])
{
    var eq = pair.IndexOf('=', StringComparison.Ordinal);
    settings.Values[pair[..eq]] = pair[(eq + 1)..];
}

var started = DateTimeOffset.UtcNow;
Dictionary<string, object> metrics;
try
{
    metrics = scenario switch
    {
        "throughput" => await Scenarios.ThroughputAsync(settings),
        "latency" => await Scenarios.LatencyAsync(settings),
        "calls" => await Scenarios.CallsAsync(settings),
        "connect" => await Scenarios.ConnectRateAsync(settings),
        "memory" => await Scenarios.MemoryAsync(settings),
        _ => throw new ArgumentException("unknown scenario " + scenario),
    };
}
catch (Exception ex) when (ex is not ArgumentException)
{
    Console.Error.WriteLine($"[{settings.Label}] {scenario} failed: {ex}");
    metrics = new() { ["error"] = ex.GetType().Name + ": " + ex.Message };
}

var result = new JsonObject
{
    ["server"] = settings.Label,
    ["scenario"] = scenario,
    ["quick"] = settings.Quick,
    ["started"] = started.ToString("O", CultureInfo.InvariantCulture),
    ["metrics"] = ToJson(metrics),
};
var text = result.ToJsonString(Report.Indented);
if (settings.Out is { } path)
{
    await File.WriteAllTextAsync(path, text, Encoding.UTF8);
}

Console.WriteLine($"[{settings.Label}] {scenario}: " + string.Join(", ", metrics.Select(kv => $"{kv.Key}={Format(kv.Value)}")));
return metrics.ContainsKey("error") ? 1 : 0;

static JsonObject ToJson(Dictionary<string, object> metrics)
{
    var json = new JsonObject();
    foreach (var (key, value) in metrics)
    {
        json[key] = value switch
        {
            double d when double.IsFinite(d) => JsonValue.Create(Math.Round(d, 4)),
            double => null,
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            _ => JsonValue.Create(value.ToString()),
        };
    }

    return json;
}

static string Format(object value) => value is double d ? d.ToString("0.###", CultureInfo.InvariantCulture) : value.ToString() ?? "";

static string? Single(Dictionary<string, List<string>> options, string name)
    => options.TryGetValue(name, out var values) && values.Count > 0 ? values[^1] : null;

static Dictionary<string, List<string>> ParseOptions(ReadOnlySpan<string> args)
{
    var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal))
        {
            continue;
        }

        var name = args[i][2..];
        if (!options.TryGetValue(name, out var values))
        {
            options[name] = values = [];
        }

        if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            values.Add(args[++i]);
        }
    }

    return options;
}
