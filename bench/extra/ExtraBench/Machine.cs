using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ExtraBench;

/// <summary>A child process (a server node or redis-server) pinned with taskset, its output in a log file.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(string name, Process process, string log)
    {
        Name = name;
        _process = process;
        Log = log;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public string Log { get; }

    /// <summary>Pids of every child started, appended to this file so that bench/extra.sh can stop them if this process dies.</summary>
    public static string? PidFile { get; set; }

    /// <summary>Starts <c>taskset -c cpus command args…</c> with its stdout and stderr in <paramref name="log"/> (via <c>sh -c exec</c>: the pid is the command's).</summary>
    public static ChildProcess Start(string name, string cpus, string log, IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] command)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("log=$1; shift; exec \"$@\" >\"$log\" 2>&1 </dev/null");
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add(log);
        info.ArgumentList.Add("taskset");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(cpus);
        foreach (var part in command)
        {
            info.ArgumentList.Add(part);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + name);
        if (PidFile is { } pidFile)
        {
            File.AppendAllText(pidFile, process.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        }

        return new ChildProcess(name, process, log);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>utime + stime in seconds (/proc/pid/stat).</summary>
    public double CpuSeconds() => Proc.CpuSeconds(Pid);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}

/// <summary>/proc readings.</summary>
internal static class Proc
{
    private const double Hz = 100.0; // USER_HZ

    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText(pid == 0 ? "/proc/self/stat" : $"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / Hz;
    }

    /// <summary>CPUs of the machine (not those this process may use: it runs under taskset).</summary>
    public static int MachineCpus { get; } = File.ReadLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && !l.StartsWith("cpu ", StringComparison.Ordinal));

    /// <summary>Busy and total jiffies over all CPUs.</summary>
    public static (long Busy, long Total) Machine()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = f.Sum();
        return (total - f[3] - f[4], total);
    }

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static long RssKiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>CPU used over a measurement window, in % of one core: this process, each child, and everything else on the machine.</summary>
internal sealed class CpuWindow
{
    private readonly IReadOnlyList<ChildProcess> _children;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly double _self = Proc.CpuSeconds(0);
    private readonly double[] _childStart;
    private readonly (long Busy, long Total) _machine = Proc.Machine();

    public CpuWindow(IReadOnlyList<ChildProcess> children)
    {
        _children = children;
        _childStart = [.. children.Select(c => c.CpuSeconds())];
    }

    public double Seconds { get; private set; }

    public double LoadGen { get; private set; }

    public Dictionary<string, double> Children { get; } = [];

    public double Other { get; private set; }

    public CpuWindow Stop()
    {
        Seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        LoadGen = 100 * (Proc.CpuSeconds(0) - _self) / Seconds;
        var ours = LoadGen;
        for (var i = 0; i < _children.Count; i++)
        {
            var percent = 100 * (_children[i].CpuSeconds() - _childStart[i]) / Seconds;
            Children[_children[i].Name] = percent;
            ours += percent;
        }

        var machine = Proc.Machine();
        var busy = 100.0 * Proc.MachineCpus * (machine.Busy - _machine.Busy) / Math.Max(1, machine.Total - _machine.Total);
        Other = Math.Max(0, busy - ours);
        return this;
    }

    public string Describe()
        => string.Create(CultureInfo.InvariantCulture, $"load generator {LoadGen:0}%, ") +
           string.Join(", ", Children.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value:0}%"))) +
           string.Create(CultureInfo.InvariantCulture, $", other {Other:0}%");
}

/// <summary>Latency samples (Stopwatch ticks), recorded from any thread into a fixed array.</summary>
internal sealed class Recorder(int capacity)
{
    private readonly long[] _samples = new long[capacity];
    private int _count;

    public int Count => Math.Min(Volatile.Read(ref _count), _samples.Length);

    public void Add(long ticks)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _samples.Length)
        {
            _samples[i] = ticks;
        }
    }

    /// <summary>Percentiles in milliseconds (nearest rank).</summary>
    public double[] Milliseconds(params double[] percentiles)
    {
        var sorted = _samples.AsSpan(0, Count).ToArray();
        Array.Sort(sorted);
        return [.. percentiles.Select(p =>
        {
            if (sorted.Length == 0)
            {
                return double.NaN;
            }

            var rank = Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1);
            return sorted[rank] * 1000.0 / Stopwatch.Frequency;
        })];
    }
}

/// <summary>The server's JIT activity from its Prometheus /metrics: the warm-up lasts until it stops compiling.</summary>
internal static class Jit
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public static async Task<long> CompiledMethodsAsync(Uri baseUri)
    {
        try
        {
            var text = await Http.GetStringAsync(new Uri(baseUri, "/metrics"));
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("system_runtime_dotnet_jit_compiled_methods ", StringComparison.Ordinal))
                {
                    return (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or FormatException)
        {
        }

        return -1;
    }

    /// <summary>Methods compiled so far by all <paramref name="nodes"/>.</summary>
    public static async Task<long> CompiledMethodsAsync(IReadOnlyList<Uri> nodes)
    {
        long sum = 0;
        foreach (var node in nodes)
        {
            sum += await CompiledMethodsAsync(node);
        }

        return sum;
    }

    /// <summary>
    /// Waits at least <paramref name="min"/>, then until no node compiled a method for 3 s (at most <paramref name="max"/>).
    /// On one busy core the runtime keeps running tier-0 code for tens of seconds: measuring before would measure the JIT.
    /// </summary>
    public static async Task<double> UntilQuietAsync(IReadOnlyList<Uri> nodes, TimeSpan min, TimeSpan max)
    {
        var watch = Stopwatch.StartNew();
        var history = new List<long>();
        while (watch.Elapsed < max)
        {
            await Task.Delay(1000);
            history.Add(await CompiledMethodsAsync(nodes));
            if (watch.Elapsed >= min && history.Count >= 4 && history[^1] == history[^4])
            {
                break;
            }
        }

        if (Environment.GetEnvironmentVariable("EXTRA_BENCH_PROGRESS") == "1")
        {
            Console.Error.WriteLine("  JIT-compiled methods each second of warm-up: " + string.Join(' ', history));
        }

        return watch.Elapsed.TotalSeconds;
    }
}
