using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Signaling.TestKit;

/// <summary>
/// A private <c>redis-server</c> for tests: started on a free loopback port, without persistence (or, for restart
/// tests, with an fsync-always append-only file), waited for with PING, killed on dispose. A missing binary is a loud
/// failure naming the install command: nothing is skipped.
/// </summary>
public class RedisServerFixture : IAsyncLifetime
{
    /// <summary>How to install the server on Debian/Ubuntu (scripts/test.sh does it when missing).</summary>
    public const string InstallCommand = "sudo apt-get install -y redis-server";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly bool _durable;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private Process? _process;

    /// <summary>A server without persistence.</summary>
    public RedisServerFixture()
        : this(durable: false)
    {
    }

    /// <summary>A server; with <paramref name="durable"/>, every write is fsynced to an append-only file so data survives a kill.</summary>
    protected RedisServerFixture(bool durable)
    {
        _durable = durable;
        Port = FreeTcpPort();
        DataDirectory = Directory.CreateTempSubdirectory("redis-test-").FullName;
    }

    /// <summary>A server whose every write is fsynced to an append-only file, so data survives <see cref="Kill"/> (not started yet).</summary>
    public static RedisServerFixture Durable() => new(durable: true);

    /// <summary>The loopback port, kept across restarts.</summary>
    public int Port { get; }

    /// <summary>The server's working directory (append-only file of a durable server).</summary>
    public string DataDirectory { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000";

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false };
            }
        }
    }

    /// <inheritdoc/>
    public virtual async ValueTask InitializeAsync() => await StartAsync();

    /// <summary>Starts the server (again, on the same port and directory) and waits until it answers PING.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var binary = FindServer() ?? throw new InvalidOperationException(
            $"redis-server was not found on PATH (or in $REDIS_SERVER). The Redis tests start their own server; install it with `{InstallCommand}` " +
            "(scripts/test.sh installs it when missing).");

        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DataDirectory,
        };
        foreach (var arg in Arguments())
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {binary}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_gate)
        {
            _process = process;
        }

        await WaitForPingAsync(process, cancellationToken);
    }

    /// <summary>Kills the server at once (SIGKILL): no shutdown save, like a crash.</summary>
    public void Kill()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
            _process = null;
        }

        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Kills the server and starts a new one on the same port and directory.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        Kill();
        await StartAsync(cancellationToken);
    }

    /// <summary>The server's output so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <inheritdoc/>
    public virtual ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private IEnumerable<string> Arguments()
    {
        string[] common = ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no", "--dir", DataDirectory];
        return _durable
            ? [.. common, "--appendonly", "yes", "--appendfsync", "always"]
            : [.. common, "--appendonly", "no"];
    }

    private async Task WaitForPingAsync(Process process, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}:\n{Output}");
            }

            try
            {
                if (await PingAsync(timeout.Token))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"redis-server did not answer PING on port {Port} within {StartTimeout}:\n{Output}");
            }

            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"redis-server did not answer PING on port {Port} within {StartTimeout}:\n{Output}");
            }
        }
    }

    private async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer, cancellationToken);

        // "-LOADING" while the append-only file is replayed after a restart.
        return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static string? FindServer()
    {
        if (Environment.GetEnvironmentVariable("REDIS_SERVER") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago, for a child process to listen on.</summary>
    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
