using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoadGen;

/// <summary>Collects the per-run JSON files into one document and prints the comparison table.</summary>
internal static class Report
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private const string Ours = "ours";
    private const string Node = "node";

    private sealed record Row(string Scenario, string Metric, string Name, string Format, bool HigherIsBetter, string Target, Func<double, double, bool>? Meets);

    private static readonly Row[] Rows =
    [
        new("throughput", "msgs_per_s", "Relay throughput, msg/s ({pairs} pairs, window {window})", "#,0", true, ">= 3x node", (o, n) => o >= 3 * n),
        new("throughput", "msgs_per_server_cpu_s", "  same, per second of server CPU", "#,0", true, "", null),
        new("throughput", "cold_msgs_per_s", "  first 5 s after the server started (cold)", "#,0", true, "", null),
        new("latency", "p50_ms", "Latency p50, ms (at {rate_target} msg/s, {pairs} pairs)", "0.000", false, "", null),
        new("latency", "p99_ms", "Latency p99, ms (at {rate_target} msg/s, {pairs} pairs)", "0.000", false, "<= node", (o, n) => o <= n),
        new("latency", "p999_ms", "Latency p99.9, ms", "0.000", false, "", null),
        new("calls", "calls_per_s", "Call setups/s ({concurrency} concurrent)", "#,0", true, ">= 2x node", (o, n) => o >= 2 * n),
        new("calls", "calls_per_server_cpu_s", "  same, per second of server CPU", "#,0", true, "", null),
        new("calls", "cold_calls_per_s", "  first 5 s after the server started (cold)", "#,0", true, "", null),
        new("calls", "call_p50_ms", "  call duration p50, ms", "0.0", false, "", null),
        new("memory", "kib_per_conn", "Memory per idle connection, KiB ({connections} conns)", "0.00", false, "<= node", (o, n) => o <= n),
        new("memory", "kib_per_conn_after_gc", "  same, after a forced full GC (.NET only)", "0.00", false, "", null),
        new("memory", "managed_heap_kib_per_conn", "  of which live managed heap (.NET only)", "0.00", false, "", null),
        new("connect", "connects_per_s", "Connects/s ({concurrency} concurrent)", "#,0", true, "", null),
        new("connect", "cold_connects_per_s", "  first 1,000 after the server started (cold)", "#,0", true, "", null),
    ];

    public static int Write(Dictionary<string, List<string>> options)
    {
        var dir = options["dir"][^1];
        var results = new JsonArray();
        var byKey = new Dictionary<(string Server, string Scenario), List<JsonObject>>();
        foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject run && run["scenario"] is not null)
            {
                var key = (run["server"]!.GetValue<string>(), run["scenario"]!.GetValue<string>());
                if (!byKey.TryGetValue(key, out var list))
                {
                    byKey[key] = list = [];
                }

                list.Add(run);
                results.Add(run.DeepClone());
            }
        }

        foreach (var key in byKey.Keys.ToList())
        {
            byKey[key] = [.. byKey[key].OrderBy(RunIndex)];
        }

        var meta = new JsonObject();
        foreach (var pair in options.GetValueOrDefault("meta") ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            meta[pair[..eq]] = pair[(eq + 1)..];
        }

        var markdown = Table(byKey);
        var document = new JsonObject
        {
            ["meta"] = meta,
            ["results"] = results,
            ["table"] = markdown,
        };
        if (options.TryGetValue("json", out var json))
        {
            File.WriteAllText(json[^1], document.ToJsonString(Indented), Encoding.UTF8);
        }

        if (options.TryGetValue("markdown", out var md))
        {
            File.WriteAllText(md[^1], markdown, Encoding.UTF8);
        }

        Console.WriteLine(markdown);
        return 0;
    }

    private static string Table(Dictionary<(string Server, string Scenario), List<JsonObject>> runs)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| scenario | ours | node | ours/node | target | met? |");
        sb.AppendLine("|---|---:|---:|---:|---|---|");
        foreach (var row in Rows)
        {
            var ours = Metric(runs, Ours, row.Scenario, row.Metric);
            var node = Metric(runs, Node, row.Scenario, row.Metric);
            if (ours is null && node is null)
            {
                continue;
            }

            var name = Describe(row.Name, First(runs, Ours, row.Scenario) ?? First(runs, Node, row.Scenario));
            var count = Math.Max(runs.GetValueOrDefault((Ours, row.Scenario))?.Count ?? 0, runs.GetValueOrDefault((Node, row.Scenario))?.Count ?? 0);
            if (count > 1)
            {
                name += $" (median of {count} runs)";
            }

            var ratio = ours is { } o && node is { } n && n != 0 ? (o / n).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";
            ratio += row.HigherIsBetter ? " (higher is better)" : " (lower is better)";
            var met = row.Meets is null ? "" : ours is { } o2 && node is { } n2 ? (row.Meets(o2, n2) ? "yes" : "**NO**") : "?";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Show(ours, row.Format)} | {Show(node, row.Format)} | {ratio} | {row.Target} | {met} |");
        }

        sb.AppendLine();
        sb.AppendLine("| CPU during the measurement (% of one core) | loadgen (ours) | server (ours) | other (ours) | loadgen (node) | server (node) | other (node) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var scenario in new[] { "throughput", "latency", "calls", "memory", "connect" })
        {
            var cells = new[] { (Ours, "loadgen_cpu_pct"), (Ours, "server_cpu_pct"), (Ours, "other_cpu_pct"), (Node, "loadgen_cpu_pct"), (Node, "server_cpu_pct"), (Node, "other_cpu_pct") }
                .Select(c => Metric(runs, c.Item1, scenario, c.Item2))
                .ToArray();
            if (cells.All(c => c is null))
            {
                continue;
            }

            var label = scenario == "memory" ? "memory (while opening)" : scenario;
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {string.Join(" | ", cells.Select(c => c is { } v ? v.ToString("0", CultureInfo.InvariantCulture) + "%" : "-"))} |");
        }

        Repeats(sb, runs);

        var problems = runs.Values
            .SelectMany(list => list)
            .Select(r => (Run: r, Metrics: r["metrics"] as JsonObject))
            .SelectMany(r => Problems(r.Run, r.Metrics))
            .ToList();
        if (problems.Count > 0)
        {
            sb.AppendLine();
            foreach (var problem in problems)
            {
                sb.AppendLine("- " + problem);
            }
        }

        return sb.ToString();
    }

    private static IEnumerable<string> Problems(JsonObject run, JsonObject? metrics)
    {
        var who = $"{run["server"]} {run["scenario"]}" + (run["run"] is { } index ? $" (run {index})" : "");
        if (metrics is null)
        {
            yield break;
        }

        if (metrics["error"] is { } error)
        {
            yield return $"{who}: FAILED: {error}";
        }

        foreach (var key in new[] { "ack_errors", "clients_dropped", "failed", "unacked_after_drain" })
        {
            if (metrics[key] is { } v && v.GetValue<double>() > 0)
            {
                yield return $"{who}: {key} = {v}";
            }
        }

        if (metrics["loadgen_cpu_pct"] is { } cpu && cpu.GetValue<double>() > 85)
        {
            yield return $"{who}: the load generator used {cpu}% of its core: the figure may be the load generator's limit";
        }

        if (metrics["other_cpu_pct"] is { } other && other.GetValue<double>() > 25)
        {
            yield return $"{who}: other processes used {other}% of a core during the measurement (noisy figure)";
        }

        if (metrics["rate_target"] is { } target && metrics["rate_achieved"] is { } achieved && achieved.GetValue<double>() < 0.98 * target.GetValue<double>())
        {
            yield return $"{who}: achieved {achieved} msg/s of the {target} msg/s target (the server did not sustain the rate)";
        }
    }

    private static string Describe(string template, JsonObject? run)
    {
        if (run?["metrics"] is not JsonObject metrics)
        {
            return template;
        }

        foreach (var (key, value) in metrics)
        {
            template = template.Replace("{" + key + "}", value?.ToJsonString() ?? "", StringComparison.Ordinal);
        }

        return template;
    }

    /// <summary>
    /// A scenario measured several times (bench/run.sh --runs): every run's figures of the rows with a target, the
    /// servers' runs interleaved, so that the spread behind the medians is in the report.
    /// </summary>
    private static void Repeats(StringBuilder sb, Dictionary<(string Server, string Scenario), List<JsonObject>> runs)
    {
        foreach (var row in Rows.Where(r => r.Meets is not null))
        {
            var ours = Values(runs, Ours, row.Scenario, row.Metric);
            var node = Values(runs, Node, row.Scenario, row.Metric);
            if (Math.Max(ours.Count, node.Count) < 2)
            {
                continue;
            }

            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"{row.Scenario} {row.Metric}, every run (in the order measured; the table shows the medians):");
            sb.AppendLine(CultureInfo.InvariantCulture, $"- ours: {string.Join(", ", ours.Select(v => Show(v, row.Format)))}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"- node: {string.Join(", ", node.Select(v => Show(v, row.Format)))}");
            if (ours.Count == node.Count && row.Meets is { } meets)
            {
                var met = ours.Zip(node).Count(pair => meets(pair.First, pair.Second));
                var ratios = ours.Zip(node).Select(pair => pair.Second != 0 ? (pair.First / pair.Second).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-");
                sb.AppendLine(CultureInfo.InvariantCulture, $"- ours/node per round: {string.Join(", ", ratios)} (target {row.Target} met in {met} of {ours.Count} rounds)");
            }
        }
    }

    private static int RunIndex(JsonObject run) => run["run"] is JsonValue v && v.TryGetValue(out int index) ? index : 0;

    private static JsonObject? First(Dictionary<(string, string), List<JsonObject>> runs, string server, string scenario)
        => runs.TryGetValue((server, scenario), out var list) && list.Count > 0 ? list[0] : null;

    private static List<double> Values(Dictionary<(string, string), List<JsonObject>> runs, string server, string scenario, string metric)
        => runs.TryGetValue((server, scenario), out var list)
            ? [.. list.Select(run => run["metrics"]?[metric] is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN).Where(d => !double.IsNaN(d))]
            : [];

    /// <summary>The median over the scenario's runs (one run: its figure).</summary>
    private static double? Metric(Dictionary<(string, string), List<JsonObject>> runs, string server, string scenario, string metric)
    {
        var values = Values(runs, server, scenario, metric);
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private static string Show(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "-";
}
