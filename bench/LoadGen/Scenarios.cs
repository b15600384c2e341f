using System.Buffers.Text;
using System.Diagnostics;
using System.Text;

namespace LoadGen;

/// <summary>The measurements. Each returns its figures; the caller adds CPU use and writes JSON.</summary>
internal static class Scenarios
{
    /// <summary>Relay throughput: pairs in their own rooms, each client sending to its peer with a window of un-acked exchanges.</summary>
    public static async Task<Dictionary<string, object>> ThroughputAsync(Settings s)
    {
        var pairs = s.GetInt("pairs", 100, 20);
        var window = s.GetInt("window", 32, 32);
        var warmup = s.Seconds("warmup", 45, 1);
        var maxWarmup = s.Seconds("max-warmup", 75, 3);
        var duration = s.Seconds("duration", 10, 3);

        var clients = await Clients.OpenAsync(s, pairs * 2, 50, null);
        var handler = new ThroughputHandler();
        await Clients.JoinPairsAsync(clients, "tp", handler);
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i].Tag = Encoding.UTF8.GetBytes(Clients.CandidateJson(clients[i ^ 1].Id));
        }

        foreach (var client in clients)
        {
            for (var w = 0; w < window; w++)
            {
                client.Emit((byte[])client.Tag!, withAck: true);
                client.Sent++;
            }

            client.Flush();
        }

        var (warmedUp, warmupRates) = await WarmUp.UntilSteadyAsync(s, () => Sum(clients, c => c.Received), warmup, maxWarmup);
        var received0 = Sum(clients, c => c.Received);
        var measured = new Window(s.ServerPid);
        await Task.Delay(duration);
        var received1 = Sum(clients, c => c.Received);
        measured.Stop();

        handler.Stop = true;
        var drain = Stopwatch.StartNew();
        while (Sum(clients, c => c.Acked) < Sum(clients, c => c.Sent) && drain.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        var lost = Sum(clients, c => c.Sent) - Sum(clients, c => c.Acked);
        var errors = Sum(clients, c => c.Errors);
        var closedEarly = clients.Count(c => c.IsClosed);
        await Clients.CloseAsync(clients);
        return Result(measured, new()
        {
            ["msgs_per_s"] = (received1 - received0) / measured.Seconds,
            ["msgs_per_server_cpu_s"] = (received1 - received0) / measured.Seconds / (measured.ServerCpuPercent / 100),
            ["pairs"] = pairs,
            ["warmup_s"] = warmedUp,
            ["cold_msgs_per_s"] = WarmUp.Cold(warmupRates),
            ["window"] = window,
            ["duration_s"] = measured.Seconds,
            ["unacked_after_drain"] = lost,
            ["ack_errors"] = errors,
            ["clients_dropped"] = closedEarly,
        });
    }

    /// <summary>One-way latency at a fixed total rate: one sender per pair, timestamp in the payload, measured at the receiver.</summary>
    public static async Task<Dictionary<string, object>> LatencyAsync(Settings s)
    {
        var pairs = s.GetInt("lat-pairs", 50, 20);
        var rate = s.Get("rate", 2000, 1000);
        var warmup = s.Seconds("warmup", 30, 1);
        var duration = s.Seconds("duration", 10, 3);

        var clients = await Clients.OpenAsync(s, pairs * 2, 50, null);
        var handler = new LatencyHandler((int)(rate * (duration.TotalSeconds + 5)) + 1000);
        await Clients.JoinPairsAsync(clients, "lat", handler);
        var senders = new (SioClient Client, byte[] Head, byte[] Tail)[pairs];
        for (var p = 0; p < pairs; p++)
        {
            var json = Clients.CandidateJson(clients[(2 * p) + 1].Id, "\"t\":@,");
            var at = json.IndexOf('@', StringComparison.Ordinal);
            senders[p] = (clients[2 * p], Encoding.UTF8.GetBytes(json[..at]), Encoding.UTF8.GetBytes(json[(at + 1)..]));
        }

        var sent = 0L;
        var maxLagMs = 0.0;
        var stop = false;
        var thread = new Thread(() =>
        {
            var buffer = new byte[4096];
            var start = Stopwatch.GetTimestamp();
            var interval = Stopwatch.Frequency / rate;
            double next = start;
            var i = 0;
            while (!Volatile.Read(ref stop))
            {
                var now = Stopwatch.GetTimestamp();
                if (handler.Recording)
                {
                    maxLagMs = Math.Max(maxLagMs, (now - next) * 1000.0 / Stopwatch.Frequency);
                }

                while (next <= now)
                {
                    var (client, head, tail) = senders[i++ % senders.Length];
                    head.CopyTo(buffer, 0);
                    Utf8Formatter.TryFormat(Stopwatch.GetTimestamp(), buffer.AsSpan(head.Length), out var digits);
                    tail.CopyTo(buffer, head.Length + digits);
                    client.Emit(buffer.AsSpan(0, head.Length + digits + tail.Length), withAck: true);
                    client.Flush();
                    Interlocked.Increment(ref sent);
                    next += interval;
                }

                Thread.Sleep(1);
            }
        })
        { IsBackground = true, Name = "rate" };
        thread.Start();

        // Warm-up at the same rate until the server's JIT is done (ours), at least `warmup`.
        var warmedUp = await WarmUp.UnderLoadAsync(_ => Task.CompletedTask, warmup);
        var measured = new Window(s.ServerPid);
        handler.Recording = true;
        await Task.Delay(duration);
        handler.Recording = false;
        measured.Stop();
        Volatile.Write(ref stop, true);
        await Task.Run(thread.Join);
        await Task.Delay(1000);

        var samples = handler.Samples();
        Array.Sort(samples);
        var toMs = 1000.0 / Stopwatch.Frequency;
        var acked = Sum(clients, c => c.Acked);
        var received = Sum(clients, c => c.Received);
        var errors = Sum(clients, c => c.Errors);
        await Clients.CloseAsync(clients);
        return Result(measured, new()
        {
            ["rate_target"] = rate,
            ["warmup_s"] = warmedUp,
            ["rate_achieved"] = samples.Length / measured.Seconds,
            ["pairs"] = pairs,
            ["samples"] = samples.Length,
            ["p50_ms"] = Percentiles.Of(samples, 50) * toMs,
            ["p90_ms"] = Percentiles.Of(samples, 90) * toMs,
            ["p99_ms"] = Percentiles.Of(samples, 99) * toMs,
            ["p999_ms"] = Percentiles.Of(samples, 99.9) * toMs,
            ["max_ms"] = Percentiles.Of(samples, 100) * toMs,
            ["sent"] = sent,
            ["received"] = received,
            ["acked"] = acked,
            ["ack_errors"] = errors,
            ["sender_max_lag_ms"] = maxLagMs,
        });
    }

    /// <summary>Complete calls per second at a fixed number of calls in progress.</summary>
    public static async Task<Dictionary<string, object>> CallsAsync(Settings s)
    {
        var concurrency = s.GetInt("call-concurrency", 20, 10);
        var warmup = s.Seconds("warmup", 60, 1);
        var maxWarmup = s.Seconds("max-warmup", 75, 3);
        var duration = s.Seconds("duration", 10, 3);
        var request = SioClient.UpgradeRequest(s.Endpoint);
        var completed = 0L;
        var failed = 0L;
        var callNo = 0L;
        var measuring = false;
        var stop = false;
        var durations = new List<long>();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (!Volatile.Read(ref stop))
            {
                var began = Stopwatch.GetTimestamp();
                var ok = await Call.RunAsync(s.Endpoint, request, Interlocked.Increment(ref callNo));
                var took = Stopwatch.GetTimestamp() - began;
                if (!ok)
                {
                    Interlocked.Increment(ref failed);
                    continue;
                }

                Interlocked.Increment(ref completed);
                if (Volatile.Read(ref measuring))
                {
                    lock (durations)
                    {
                        durations.Add(took);
                    }
                }
            }
        }).ToArray();

        var (warmedUp, warmupRates) = await WarmUp.UntilSteadyAsync(s, () => Volatile.Read(ref completed), warmup, maxWarmup);
        var (completed0, failed0) = (Volatile.Read(ref completed), Volatile.Read(ref failed));
        var measured = new Window(s.ServerPid);
        Volatile.Write(ref measuring, true);
        await Task.Delay(duration);
        var (completed1, failed1) = (Volatile.Read(ref completed), Volatile.Read(ref failed));
        measured.Stop();
        Volatile.Write(ref measuring, false);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(workers);

        var sorted = durations.ToArray();
        Array.Sort(sorted);
        var toMs = 1000.0 / Stopwatch.Frequency;
        var rate = (completed1 - completed0) / measured.Seconds;
        return Result(measured, new()
        {
            ["calls_per_s"] = rate,
            ["calls_per_server_cpu_s"] = rate / (measured.ServerCpuPercent / 100),
            ["concurrency"] = concurrency,
            ["warmup_s"] = warmedUp,
            ["cold_calls_per_s"] = WarmUp.Cold(warmupRates),
            ["completed"] = completed1 - completed0,
            ["failed"] = failed1 - failed0,
            ["call_p50_ms"] = Percentiles.Of(sorted, 50) * toMs,
            ["call_p99_ms"] = Percentiles.Of(sorted, 99) * toMs,
        });
    }

    /// <summary>Connections per second: handshake + CONNECT answer with a fixed number in progress; then all are closed.</summary>
    public static async Task<Dictionary<string, object>> ConnectRateAsync(Settings s)
    {
        var count = s.GetInt("connections", 10000, 2000);
        var concurrency = s.GetInt("connect-concurrency", 50, 50);
        var warmup = s.Seconds("warmup", 30, 1);

        // Warm-up: batches of connections opened and closed until the server's JIT is done (the first batch's rate is
        // the cold rate).
        var cold = double.NaN;
        var warmedUp = await WarmUp.UnderLoadAsync(async stop =>
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = Stopwatch.StartNew();
                var opened = await Clients.OpenAsync(s, 1000, concurrency, null, 1024);
                if (double.IsNaN(cold))
                {
                    cold = opened.Length / batch.Elapsed.TotalSeconds;
                }

                await Clients.CloseAsync(opened);
            }
        }, warmup);
        await Task.Delay(1000);

        var measured = new Window(s.ServerPid);
        var clients = await Clients.OpenAsync(s, count, concurrency, null, 1024);
        measured.Stop();
        var closeWatch = Stopwatch.StartNew();
        await Clients.CloseAsync(clients);
        return Result(measured, new()
        {
            ["connects_per_s"] = count / measured.Seconds,
            ["cold_connects_per_s"] = cold,
            ["warmup_s"] = warmedUp,
            ["connections"] = count,
            ["concurrency"] = concurrency,
            ["close_all_s"] = closeWatch.Elapsed.TotalSeconds,
        });
    }

    /// <summary>
    /// Server RSS growth per idle connection. With <c>--gc-tool</c> (a dotnet-trace executable, .NET servers only) each
    /// RSS reading is repeated after a forced full GC, and the live managed heap is read from the server's /metrics.
    /// </summary>
    public static async Task<Dictionary<string, object>> MemoryAsync(Settings s)
    {
        if (s.ServerPid <= 0)
        {
            throw new InvalidOperationException("memory needs --server-pid");
        }

        var count = s.GetInt("idle-connections", 10000, 2000);
        var settle = s.Seconds("settle", 30, 10);
        await Clients.CloseAsync(await Clients.OpenAsync(s, s.GetInt("connect-warmup", 1000, 300), 50, null, 1024));
        var baseline = await SettleAsync(s.ServerPid, TimeSpan.FromSeconds(3), settle);
        var baselineGc = await AfterFullGcAsync(s, "baseline");

        var opening = new Window(s.ServerPid);
        var clients = await Clients.OpenAsync(s, count, 100, null, 1024);
        opening.Stop();
        var loaded = await SettleAsync(s.ServerPid, TimeSpan.FromSeconds(5), settle);
        var dropped = clients.Count(c => c.IsClosed);
        var idle = new Window(s.ServerPid);
        await Task.Delay(1000);
        idle.Stop();
        var loadedGc = await AfterFullGcAsync(s, "loaded");
        dropped = Math.Max(dropped, clients.Count(c => c.IsClosed));
        await Clients.CloseAsync(clients);
        var result = Result(opening, new()
        {
            ["kib_per_conn"] = (double)(loaded - baseline) / count,
            ["connections"] = count,
            ["rss_before_kib"] = baseline,
            ["rss_loaded_kib"] = loaded,
            ["clients_dropped"] = dropped,
            ["idle_server_cpu_pct"] = idle.ServerCpuPercent,
        });
        if (baselineGc is { } b && loadedGc is { } l)
        {
            result["kib_per_conn_after_gc"] = (double)(l.RssKiB - b.RssKiB) / count;
            result["rss_before_after_gc_kib"] = b.RssKiB;
            result["rss_loaded_after_gc_kib"] = l.RssKiB;
            if (b.HeapBytes >= 0 && l.HeapBytes >= 0)
            {
                result["managed_heap_kib_per_conn"] = (l.HeapBytes - b.HeapBytes) / 1024.0 / count;
                result["managed_heap_loaded_kib"] = l.HeapBytes / 1024;
            }
        }

        return result;
    }

    /// <summary>
    /// Forces a full blocking GC in a .NET server (dotnet-trace with the GCHeapCollect keyword), then reads RSS and the
    /// live heap. With <c>heap-dump-dir</c> the GC also walks the heap and the snapshot is kept as <c>&lt;name&gt;.nettrace</c>.
    /// </summary>
    private static async Task<(long RssKiB, long HeapBytes)?> AfterFullGcAsync(Settings s, string name)
    {
        if (!s.Values.TryGetValue("gc-tool", out var tool) || !File.Exists(tool))
        {
            return null;
        }

        var dumpDir = s.Values.GetValueOrDefault("heap-dump-dir");
        var output = dumpDir is null ? Path.Combine(Path.GetTempPath(), $"loadgen-gc-{Environment.ProcessId}.nettrace") : Path.Combine(dumpDir, name + ".nettrace");
        var start = new ProcessStartInfo(tool)
        {
            ArgumentList =
            {
                "collect", "-p", s.ServerPid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--providers", dumpDir is null ? "Microsoft-Windows-DotNETRuntime:0x800000:4" : "Microsoft-Windows-DotNETRuntime:0x1980001:5",
                "--duration", dumpDir is null ? "00:00:00:02" : "00:00:00:08", "-o", output,
            },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Not inherited: dotnet-trace deadlocks with inline socket completions.
        start.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        using (var process = Process.Start(start)!)
        {
            process.StandardInput.Close();
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                await drain;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
        }

        if (dumpDir is null)
        {
            File.Delete(output);
        }

        await Task.Delay(3000);
        return (ProcStats.RssKiB(s.ServerPid), await ManagedHeapBytesAsync(s));
    }

    /// <summary>The live managed heap after the last GC (all generations), from the server's Prometheus /metrics; -1 when unavailable.</summary>
    private static async Task<long> ManagedHeapBytesAsync(Settings s)
    {
        if (await WarmUp.ScrapeMetricsAsync(s) is not { } text)
        {
            return -1;
        }

        var sum = 0L;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("system_runtime_dotnet_gc_last_collection_heap_size{", StringComparison.Ordinal))
            {
                sum += (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return sum > 0 ? sum : -1;
    }

    /// <summary>Waits at least <paramref name="min"/>, then until RSS moves less than 0.5% over 3 one-second samples (at most <paramref name="max"/>).</summary>
    private static async Task<long> SettleAsync(int pid, TimeSpan min, TimeSpan max)
    {
        var watch = Stopwatch.StartNew();
        await Task.Delay(min);
        var history = new List<long> { ProcStats.RssKiB(pid) };
        while (watch.Elapsed < max)
        {
            await Task.Delay(1000);
            history.Add(ProcStats.RssKiB(pid));
            if (history.Count >= 4)
            {
                var last = history.TakeLast(4).ToArray();
                if (last.Max() - last.Min() <= last.Max() * 0.005)
                {
                    break;
                }
            }
        }

        return history[^1];
    }

    private static Dictionary<string, object> Result(Window window, Dictionary<string, object> metrics)
    {
        metrics["loadgen_cpu_pct"] = window.LoadGenCpuPercent;
        metrics["loadgen_sys_pct"] = window.LoadGenSystemPercent;
        metrics["server_cpu_pct"] = window.ServerCpuPercent;
        metrics["other_cpu_pct"] = window.OtherCpuPercent;
        return metrics;
    }

    private static long Sum(SioClient[] clients, Func<SioClient, long> field)
    {
        var sum = 0L;
        foreach (var client in clients)
        {
            sum += field(client);
        }

        return sum;
    }

    private sealed class ThroughputHandler : IClientHandler
    {
        public volatile bool Stop;

        public void OnEvent(SioClient client, ReadOnlySpan<byte> packet) => client.Received++;

        public void OnAck(SioClient client, long id, ReadOnlySpan<byte> args)
        {
            client.Acked++;
            if (!args.StartsWith("[null]"u8))
            {
                client.Errors++;
            }

            if (!Stop)
            {
                client.Emit((byte[])client.Tag!, withAck: true);
                client.Sent++;
            }
        }
    }

    private sealed class LatencyHandler(int capacity) : IClientHandler
    {
        private readonly long[] _samples = new long[capacity];
        private int _count;

        public volatile bool Recording;

        public long[] Samples() => _samples.AsSpan(0, Math.Min(Volatile.Read(ref _count), _samples.Length)).ToArray();

        public void OnEvent(SioClient client, ReadOnlySpan<byte> packet)
        {
            var now = Stopwatch.GetTimestamp();
            client.Received++;
            var at = packet.IndexOf("\"t\":"u8);
            if (Recording && at >= 0 && Utf8Parser.TryParse(packet[(at + 4)..], out long sentAt, out _))
            {
                var i = Interlocked.Increment(ref _count) - 1;
                if (i < _samples.Length)
                {
                    _samples[i] = now - sentAt;
                }
            }
        }

        public void OnAck(SioClient client, long id, ReadOnlySpan<byte> args)
        {
            client.Acked++;
            if (!args.StartsWith("[null]"u8))
            {
                client.Errors++;
            }
        }
    }
}
