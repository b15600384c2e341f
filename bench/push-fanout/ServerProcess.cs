using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Signaling.Bench.PushFanout;

/// <summary>Memory of the server process: resident set now and its peak, in KiB (Linux /proc).</summary>
internal readonly record struct ResidentSet(long RssKiB, long PeakKiB);

/// <summary>
/// The real server (Signaling.Server.dll) in its own process on 127.0.0.1, started through <c>/bin/sh</c>'s
/// <c>exec</c> so that the process id is the server's own, optionally pinned with <c>taskset</c>.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    /// <summary>Starts the server with <paramref name="environment"/> added to this process's, waits for <c>/health/live</c>.</summary>
    public static async Task<ServerProcess> StartAsync(string dll, string? cpus, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$@\" >\"$BENCH_SERVER_LOG\" 2>&1");
        start.ArgumentList.Add("sh");
        if (cpus is not null)
        {
            start.ArgumentList.Add("taskset");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpus);
        }

        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(address.ToString());
        start.Environment["BENCH_SERVER_LOG"] = logPath;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var server = new ServerProcess(Process.Start(start) ?? throw new InvalidOperationException("the server did not start"), address);
        try
        {
            await server.WaitUntilLiveAsync(logPath);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>VmRSS and VmHWM from /proc/PID/status.</summary>
    public ResidentSet ReadResidentSet()
    {
        long rss = -1, peak = -1;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = KiB(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = KiB(line);
            }
        }

        return new ResidentSet(rss, peak);
    }

    /// <summary>Resets the peak resident set (VmHWM) to the current one; false when the kernel refuses.</summary>
    public bool TryResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{Pid}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The managed heap that survived the last GC (all generations, from the server's /metrics, which exports the
    /// System.Runtime meter); -1 when unavailable.
    /// </summary>
    public Task<long> LiveHeapBytesAsync() => MetricAsync("system_runtime_dotnet_gc_last_collection_heap_size", null);

    /// <summary>Bytes the server allocated on the managed heap since it started; -1 when unavailable.</summary>
    public Task<long> AllocatedBytesAsync() => MetricAsync("system_runtime_dotnet_gc_heap_total_allocated", null);

    /// <summary>
    /// Makes the server run a full blocking GC: a dotnet-trace session with the runtime's GCHeapCollect keyword
    /// (0x800000) does that when it starts. Then waits until /metrics shows a new collection.
    /// </summary>
    public async Task<bool> ForceFullGcAsync(string? tool)
    {
        if (tool is null || !File.Exists(tool))
        {
            return false;
        }

        var before = await Gen2CollectionsAsync();
        var trace = Path.Combine(Path.GetTempPath(), $"push-fanout-{Environment.ProcessId}.nettrace");
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "collect", "-p", Pid.ToString(CultureInfo.InvariantCulture), "--providers", "Microsoft-Windows-DotNETRuntime:0x800000:4", "--duration", "00:00:00:02", "-o", trace })
        {
            start.ArgumentList.Add(argument);
        }

        using (var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet-trace did not start"))
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Task.WhenAll(process.StandardOutput.ReadToEndAsync(limit.Token), process.StandardError.ReadToEndAsync(limit.Token));
            await process.WaitForExitAsync(limit.Token);
        }

        File.Delete(trace);
        for (var i = 0; i < 50 && await Gen2CollectionsAsync() <= before; i++)
        {
            await Task.Delay(100);
        }

        return await Gen2CollectionsAsync() > before;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(limit.Token);
        }

        _process.Dispose();
        _http.Dispose();
    }

    private Task<long> Gen2CollectionsAsync() => MetricAsync("system_runtime_dotnet_gc_collections", "gc_heap_generation=\"gen2\"");

    /// <summary>A metric from the server's Prometheus /metrics, summed over its series (or one series); -1 when absent.</summary>
    private async Task<long> MetricAsync(string name, string? labels)
    {
        var text = await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var sum = -1L;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal)
                && line.Length > name.Length
                && line[name.Length] is ' ' or '{'
                && (labels is null || line.Contains(labels, StringComparison.Ordinal)))
            {
                sum = Math.Max(sum, 0) + (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    private async Task WaitUntilLiveAsync(string logPath)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the server exited with status {_process.ExitCode}; see {logPath}");
            }

            try
            {
                using var response = await _http.GetAsync(new Uri("/health/live", UriKind.Relative), limit.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"the server did not answer /health/live within 90 s; see {logPath}");
            }

            await Task.Delay(200, limit.Token);
        }
    }

    private static long KiB(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
