using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.EngineIO.Protocol;
using Signaling.SocketIO.SocketIO.Adapters;

namespace Signaling.SocketIO.SocketIO;

/// <summary>The Socket.IO server: namespaces on top of Engine.IO sessions.</summary>
public sealed class SocketIOServer : IEngineSessionHandler
{
    private readonly ConcurrentDictionary<string, SocketIONamespace> _namespaces = new(StringComparer.Ordinal);
    private readonly ISocketIOAdapterFactory _adapterFactory;

    /// <summary>Creates the server.</summary>
    public SocketIOServer(SocketIOOptions options, ISocketIOAdapterFactory adapterFactory, TimeProvider time, IMeterFactory meterFactory, ILogger<SocketIOServer> logger)
    {
        Options = options;
        _adapterFactory = adapterFactory;
        Time = time;
        Logger = logger;
        Metrics = new SocketIOMetrics(meterFactory);
        Of("/");
    }

    /// <summary>The options.</summary>
    public SocketIOOptions Options { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    internal SocketIOMetrics Metrics { get; }

    /// <summary>The namespace with this name, created on first use.</summary>
    public SocketIONamespace Of(string name)
    {
        if (!name.StartsWith('/'))
        {
            name = "/" + name;
        }

        return _namespaces.GetOrAdd(name, n => new SocketIONamespace(n, this, _adapterFactory));
    }

    /// <summary>Finds an existing namespace.</summary>
    public bool TryGetNamespace(string name, out SocketIONamespace nsp) => _namespaces.TryGetValue(name, out nsp!);

    /// <inheritdoc />
    ValueTask IEngineSessionHandler.OnOpenAsync(EngineSession session)
    {
        var connection = new SocketIOConnection(this, session);
        session.Items = connection;
        if (connection.IsLegacy)
        {
            // socket.io 2 connects every client to "/" without waiting for a CONNECT packet.
            return connection.ConnectDefaultAsync();
        }

        session.RequireConfirmationWithin(Options.ConnectTimeout);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    ValueTask IEngineSessionHandler.OnMessageAsync(EngineSession session, EnginePacket message)
        => session.Items is SocketIOConnection connection ? connection.OnMessageAsync(message) : ValueTask.CompletedTask;

    /// <inheritdoc />
    void IEngineSessionHandler.OnClose(EngineSession session, string reason)
    {
        if (session.Items is SocketIOConnection connection)
        {
            connection.OnClose(reason);
        }
    }
}

/// <summary>Socket.IO instruments on the <c>Signaling.SocketIO</c> meter.</summary>
internal sealed class SocketIOMetrics
{
    private readonly Counter<long> _connected;
    private readonly Counter<long> _errors;

    public SocketIOMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(EngineIOMetrics.MeterName);
        _connected = meter.CreateCounter<long>("socketio.sockets.connected", description: "Sockets connected to a namespace.");
        _errors = meter.CreateCounter<long>("socketio.errors", description: "Connections closed on Socket.IO protocol errors.");
    }

    public void SocketConnected(string nsp) => _connected.Add(1, new KeyValuePair<string, object?>("namespace", nsp));

    public void ProtocolError() => _errors.Add(1);
}
