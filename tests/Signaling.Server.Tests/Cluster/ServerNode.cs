using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Signaling.Server.Tests.TestSupport;
using Signaling.TestKit;

namespace Signaling.Server.Tests.Cluster;

/// <summary>
/// The built server (<c>artifacts/bin/Signaling.Server/&lt;configuration&gt;/Signaling.Server.dll</c>, the same
/// configuration as this test assembly) running as its own process on 127.0.0.1 and a free port. Its output is kept
/// (the last lines) for failure messages; <see cref="Kill"/> is SIGKILL, like a crashed machine.
/// </summary>
public sealed class ServerNode : IAsyncDisposable
{
    private const int MaxLines = 4000;

    // Inherited variables that would change what the server does: the nodes get exactly the settings they are given.
    private static readonly string[] InheritedPrefixesToDrop =
        ["ASPNETCORE_", "DOTNET_ENVIRONMENT", "DOTNET_URLS", "URLS", "Auth__", "Redis__", "Cluster__", "Push__", "RateLimit__", "Serilog__", "Logging__"];

    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly SocketsHttpHandler _handler = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
    private int _dropped;

    private ServerNode(string name, Process process, int port)
    {
        Name = name;
        _process = process;
        Address = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
    }

    public string Name { get; }

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote (stdout and stderr), each with the time since start.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                var text = new StringBuilder();
                text.AppendLine(CultureInfo.InvariantCulture, $"----- {Name} ({Address}) output{(_dropped > 0 ? $", first {_dropped} lines dropped" : string.Empty)} -----");
                foreach (var line in _lines)
                {
                    text.AppendLine(line);
                }

                return text.ToString();
            }
        }
    }

    /// <summary>The server dll of this test run's configuration; a missing build is a loud failure naming the command.</summary>
    public static string ServerAssembly()
    {
        // artifacts/bin/Signaling.Server.Tests/<pivot>/ → artifacts/bin/Signaling.Server/<pivot>/Signaling.Server.dll
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var pivot = testOutput.Name;
        var bin = testOutput.Parent?.Parent ?? throw new InvalidOperationException($"Unexpected test output folder {testOutput.FullName}.");
        var dll = Path.Combine(bin.FullName, "Signaling.Server", pivot, "Signaling.Server.dll");
        if (!File.Exists(dll))
        {
            var configuration = pivot.Split('_')[0];
            throw new InvalidOperationException(
                $"The server build {dll} is missing: run `dotnet build src/Signaling.Server -c {configuration}` (the test project's build and the README's test command do it).");
        }

        return dll;
    }

    /// <summary>Starts the server with these settings (environment variables, <c>Section__Key</c>) and waits for <c>/health/ready</c>.</summary>
    public static async Task<ServerNode> StartAsync(string name, IReadOnlyDictionary<string, string> settings, TimeSpan readyWithin)
    {
        var dll = ServerAssembly();
        var port = RedisServerFixture.FreeTcpPort();
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        foreach (var key in start.Environment.Keys.Where(k => InheritedPrefixesToDrop.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start `{start.FileName} {dll}`: {e.Message}", e);
        }

        var node = new ServerNode(name, process, port);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await node.WaitReadyAsync(readyWithin);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    /// <summary>An HTTP client of this node; with <paramref name="userId"/>, Development's <c>X-User-Id</c> header.</summary>
    public HttpClient Client(string? userId = null)
    {
        var client = new HttpClient(_handler, disposeHandler: false) { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (userId is not null)
        {
            client.DefaultRequestHeaders.Add("X-User-Id", userId);
        }

        return client;
    }

    /// <summary>The status of <c>GET /health/ready</c> (bounded by the test time limit).</summary>
    public async Task<HttpStatusCode> ReadinessAsync()
    {
        using var client = Client();
        using var response = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken).WithTimeout();
        return response.StatusCode;
    }

    /// <summary>SIGKILL (on Linux, Process.Kill is SIGKILL): no shutdown, no goodbye to Redis, sockets just drop.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        Append("[killed by the test]");
    }

    /// <summary>SIGSTOP: the process freezes (like a long GC pause or a suspended VM); its sockets stay open.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        _handler.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start");
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken).WithTimeout();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {_process.Id} exited with {kill.ExitCode}");
        Append($"[SIG{signal} from the test]");
    }

    private async Task WaitReadyAsync(TimeSpan within)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(within);
        using var client = Client();
        try
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready.\n{Output}");
                }

                try
                {
                    using var response = await client.GetAsync("/health/ready", cts.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(100, cts.Token);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name} was not ready within {within.TotalSeconds:0} s.\n{Output}");
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue($"{_clock.Elapsed.TotalSeconds,8:0.000} {line}");
            if (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
                _dropped++;
            }
        }
    }

    // The host that runs the tests (set by the SDK), else dotnet on PATH.
    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
