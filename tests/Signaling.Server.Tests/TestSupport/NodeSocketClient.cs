using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Signaling.Server.Tests.TestSupport;

/// <summary>How a socket.io-client presents its credentials.</summary>
public sealed record SocketClientOptions
{
    /// <summary><c>sio4</c> (socket.io-client 4.x) or <c>sio2</c> (2.x), as installed in tests/interop/node_modules.</summary>
    public required string Package { get; init; }

    public string? Token { get; init; }

    public string? DeviceId { get; init; }

    /// <summary>Development-style user id (only honoured in Development without credentials).</summary>
    public string? UserId { get; init; }

    /// <summary>Where the fields go: <c>auth</c> (CONNECT payload, 3.x+) or <c>query</c> (handshake URL, every version).</summary>
    public string FieldsIn { get; init; } = "auth";

    public string[] Transports { get; init; } = ["websocket"];

    public override string ToString() => $"{Package} ({FieldsIn}, {string.Join('+', Transports)})";
}

/// <summary>
/// A real socket.io-client running in Node (Realtime/node/client.js): every event it receives arrives here as a JSON
/// line; commands go to its stdin. Every wait is bounded by <see cref="TestTimeouts.Default"/>.
/// </summary>
public sealed class NodeSocketClient : IAsyncDisposable
{
    private const string InstallHint = "run `bash tests/interop/install-deps.sh` (the README's test command does it)";

    private readonly Process _process;
    private readonly Channel<JsonElement> _lines = Channel.CreateUnbounded<JsonElement>();
    private readonly List<JsonElement> _unconsumed = [];
    private readonly List<JsonElement> _all = [];
    private readonly StringBuilder _stderr = new();
    private readonly string _label;
    private int _nextAckId;

    private NodeSocketClient(Process process, string label)
    {
        _process = process;
        _label = label;
    }

    /// <summary>The socket id the client reported on connect.</summary>
    public string Id { get; private set; } = string.Empty;

    /// <summary>The socket.io-client version that runs.</summary>
    public string Version { get; private set; } = string.Empty;

    /// <summary>Every line received so far (events, acks, connection changes).</summary>
    public IReadOnlyList<JsonElement> All
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>Names of every event received so far.</summary>
    public IReadOnlyList<string> EventNames => [.. All.Where(l => l.Str("type") == "event").Select(l => l.Str("name"))];

    /// <summary>Starts the client and waits for it to connect.</summary>
    public static async Task<NodeSocketClient> ConnectAsync(Uri server, SocketClientOptions options)
    {
        var client = Start(server, options);
        var connected = await client.NextAsync(l => l.Str("type") is "connect" or "connect_error" or "error" or "disconnect", "connect");
        if (connected.Str("type") != "connect")
        {
            await client.DisposeAsync();
            throw new InvalidOperationException($"{client._label} did not connect: {connected}");
        }

        client.Id = connected.Str("id");
        return client;
    }

    /// <summary>Starts the client without waiting; for connections expected to be refused.</summary>
    public static NodeSocketClient Start(Uri server, SocketClientOptions options)
    {
        var root = RepositoryRoot();
        var modules = Path.Combine(root, "tests", "interop", "node_modules");
        if (!Directory.Exists(Path.Combine(modules, options.Package)))
        {
            throw new InvalidOperationException($"socket.io-client package '{options.Package}' is missing from {modules}: {InstallHint}.");
        }

        var fields = new Dictionary<string, string>();
        AddIf(fields, "token", options.Token);
        AddIf(fields, "deviceId", options.DeviceId);
        AddIf(fields, "userId", options.UserId);
        var config = JsonSerializer.Serialize(new { pkg = options.Package, url = server.ToString(), transports = options.Transports, fieldsIn = options.FieldsIn, fields });
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Realtime", "node", "client.js"));
        start.ArgumentList.Add(config);
        start.Environment["NODE_PATH"] = modules;

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Node.js (node) is required for the socket.io-client tests and was not found ({e.Message}); install Node 20+ and {InstallHint}.", e);
        }

        var client = new NodeSocketClient(process, $"socket.io-client {options}");
        _ = client.PumpAsync();
        return client;
    }

    /// <summary>The first argument of the next event named <paramref name="name"/> that matches.</summary>
    public async Task<JsonElement> NextEventAsync(string name, Func<JsonElement, bool>? match = null)
    {
        var line = await NextAsync(l => l.Str("type") == "event" && l.Str("name") == name && (match is null || match(l.GetProperty("args")[0])), $"event '{name}'");
        return line.GetProperty("args")[0];
    }

    /// <summary>The next line of this type (connect_error, error, disconnect…).</summary>
    public Task<JsonElement> NextOfTypeAsync(string type) => NextAsync(l => l.Str("type") == type, type);

    /// <summary>Emits with an ack callback and returns the ack's arguments.</summary>
    public async Task<JsonElement> EmitWithAckAsync(string eventName, params object?[] args)
    {
        var id = Interlocked.Increment(ref _nextAckId);
        await SendAsync(new { cmd = "emit", id, @event = eventName, args, ack = true });
        var ack = await NextAsync(l => l.Str("type") == "ack" && l.GetProperty("id").GetInt32() == id, $"ack of '{eventName}'");
        return ack.GetProperty("args");
    }

    public Task EmitAsync(string eventName, params object?[] args) => SendAsync(new { cmd = "emit", @event = eventName, args, ack = false });

    /// <summary>A round trip on this socket: whatever the server queued for it before is received by now.</summary>
    public Task BarrierAsync() => EmitWithAckAsync("join", "barrier-" + Guid.NewGuid().ToString("N"));

    public Task DisconnectAsync() => SendAsync(new { cmd = "disconnect" });

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception) when (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception)
        {
        }

        _process.Dispose();
    }

    private static void AddIf(Dictionary<string, string> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields[name] = value;
        }
    }

    private async Task SendAsync(object command)
    {
        await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(command)).WithTimeout();
        await _process.StandardInput.FlushAsync().WithTimeout();
    }

    private async Task<JsonElement> NextAsync(Func<JsonElement, bool> match, string what)
    {
        var index = _unconsumed.FindIndex(l => match(l));
        if (index >= 0)
        {
            var found = _unconsumed[index];
            _unconsumed.RemoveAt(index);
            return found;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TestTimeouts.Default);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cts.Token);
                if (match(line))
                {
                    return line;
                }

                _unconsumed.Add(line);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            string stderr;
            lock (_stderr)
            {
                stderr = _stderr.ToString();
            }

            var reason = e is ChannelClosedException ? "the node process ended" : $"timed out after {TestTimeouts.Default.TotalSeconds:0} s";
            throw new TimeoutException(
                $"{_label}: {reason} waiting for {what}. Received: [{string.Join(", ", All.Select(l => l.GetRawText()))}]. stderr: {stderr}", e);
        }
    }

    private async Task PumpAsync()
    {
        var errors = PumpErrorsAsync();
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } text)
            {
                JsonElement line;
                try
                {
                    line = JsonDocument.Parse(text).RootElement.Clone();
                }
                catch (JsonException)
                {
                    lock (_stderr)
                    {
                        _stderr.AppendLine("stdout: " + text);
                    }

                    continue;
                }

                if (line.Str("type") == "started")
                {
                    Version = line.Str("version");
                }

                lock (_all)
                {
                    _all.Add(line);
                }

                _lines.Writer.TryWrite(line);
            }
        }
        finally
        {
            await errors;
            _lines.Writer.TryComplete();
        }
    }

    private async Task PumpErrorsAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } text)
        {
            lock (_stderr)
            {
                _stderr.AppendLine(text);
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "tests", "interop", "package.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No repository root (with tests/interop/package.json) above {AppContext.BaseDirectory}.");
    }
}
