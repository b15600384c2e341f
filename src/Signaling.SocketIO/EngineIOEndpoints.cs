using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.EngineIO.Transports;

namespace Signaling.SocketIO;

/// <summary>
/// Every Engine.IO endpoint the app mapped. On shutdown it stops handshakes, closes every session (clients
/// see a transport close and reconnect elsewhere) and waits a bounded time for them to go.
/// </summary>
public sealed class EngineIOEndpoints : IHostedService, IAsyncDisposable
{
    private readonly List<EngineIOServer> _servers = [];
    private volatile KeyValuePair<string, EngineIORequestDispatcher>[] _direct = [];
    private readonly ILoggerFactory _loggerFactory;
    private readonly IHostApplicationLifetime? _lifetime;
    private CancellationTokenRegistration _stopping;
    private int _disposed;

    /// <summary>Creates the registry.</summary>
    public EngineIOEndpoints(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
    }

    /// <summary>Creates the registry; sessions are closed as soon as the application starts stopping.</summary>
    public EngineIOEndpoints(ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime)
        : this(loggerFactory)
    {
        _lifetime = lifetime;
    }

    /// <summary>How long shutdown waits for sessions to close. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The mapped endpoints.</summary>
    public IReadOnlyList<EngineIOServer> Servers
    {
        get
        {
            lock (_servers)
            {
                return [.. _servers];
            }
        }
    }

    internal EngineIOServer Create(EngineIOOptions options, IEngineSessionHandler handler, TimeProvider time, EngineIOMetrics metrics)
    {
        var server = new EngineIOServer(options, handler, time, metrics, _loggerFactory.CreateLogger<EngineIOServer>());
        lock (_servers)
        {
            _servers.Add(server);
        }

        return server;
    }

    /// <summary>
    /// Lets <see cref="DirectWebSocketMiddleware"/> serve WebSocket handshakes for <paramref name="path"/> on the
    /// connection itself (only for endpoints that run before any other middleware).
    /// </summary>
    internal void AddDirect(string path, EngineIORequestDispatcher dispatcher)
    {
        lock (_servers)
        {
            _direct = [.. _direct, new(path.TrimEnd('/'), dispatcher)];
        }
    }

    internal bool HasDirectEndpoints => _direct.Length > 0;

    /// <summary>The endpoint served directly at <paramref name="path"/> (with or without its trailing slash), if any.</summary>
    internal EngineIORequestDispatcher? FindDirect(string path)
    {
        var trimmed = path.AsSpan().TrimEnd('/');
        foreach (var (candidate, dispatcher) in _direct)
        {
            if (trimmed.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return dispatcher;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The web server stops before hosted services do (it was registered after them) and waits for running
        // requests, which for open sessions never end by themselves: close the sessions when stopping begins so
        // clients get a proper close and the server's drain finishes at once.
        if (_lifetime is not null)
        {
            _stopping = _lifetime.ApplicationStopping.Register(static state =>
            {
                foreach (var server in ((EngineIOEndpoints)state!).Servers)
                {
                    server.BeginShutdown();
                }
            }, this);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
        => Task.WhenAll(Servers.Select(s => s.ShutdownAsync(ShutdownTimeout, cancellationToken)));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Registered both as a singleton and as a hosted service: the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.DisposeAsync();
        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }
    }
}
