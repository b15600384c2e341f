using System.Collections.Concurrent;
using System.Text.Json;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.EngineIO.Protocol;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.SocketIO.SocketIO;

/// <summary>A client's connection to one namespace.</summary>
public sealed class SocketIOSocket
{
    private readonly SocketIOConnection _connection;
    private ConcurrentDictionary<long, TaskCompletionSource<SocketIOAck>>? _pendingAcks;
    private Dictionary<string, object?>? _items;
    private long _nextAckId;
    private int _connected = 1;

    internal SocketIOSocket(string id, SocketIONamespace nsp, SocketIOConnection connection, JsonElement? auth, IReadOnlyDictionary<string, string> query)
    {
        Id = id;
        Namespace = nsp;
        _connection = connection;
        Auth = auth;
        Query = query;
    }

    /// <summary>The socket id: the Engine.IO sid for protocol v4 clients on <c>/</c>, random otherwise.</summary>
    public string Id { get; }

    /// <summary>The namespace.</summary>
    public SocketIONamespace Namespace { get; }

    /// <summary>The underlying Engine.IO session.</summary>
    public EngineSession Session => _connection.Session;

    /// <summary>The CONNECT auth payload (v5 clients), cloned.</summary>
    public JsonElement? Auth { get; }

    /// <summary>The handshake query (with a v4 client's namespace query merged in).</summary>
    public IReadOnlyDictionary<string, string> Query { get; }

    /// <summary>Per-socket values, set by middlewares and handlers.</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>Reads an item without allocating the dictionary when there is none.</summary>
    public bool TryGetItem(string key, out object? value)
    {
        value = null;
        return _items is not null && _items.TryGetValue(key, out value);
    }

    /// <summary>True until the socket disconnects.</summary>
    public bool Connected => Volatile.Read(ref _connected) == 1;

    /// <summary>The rooms this socket is in (on this node).</summary>
    public IReadOnlyCollection<string> Rooms => Namespace.Adapter.GetRooms(Id);

    /// <summary>Emits an event to this client; returns false when it could not be queued.</summary>
    public bool Emit(string eventName, params ReadOnlySpan<object?> args)
        => SendPacket(SocketPacketWriter.Event(Namespace.Name, eventName, args, -1, Namespace.Server.Options.JsonSerializerOptions));

    /// <summary>Emits an event and waits for the client's acknowledgement.</summary>
    /// <exception cref="TimeoutException">No ack within <paramref name="timeout"/> (default <see cref="SocketIOOptions.AckTimeout"/>).</exception>
    public async Task<SocketIOAck> EmitWithAckAsync(string eventName, object?[] args, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var id = Interlocked.Increment(ref _nextAckId) - 1;
        var pending = LazyInitializer.EnsureInitialized(ref _pendingAcks);
        var tcs = new TaskCompletionSource<SocketIOAck>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = tcs;
        try
        {
            if (!SendPacket(SocketPacketWriter.Event(Namespace.Name, eventName, args, id, Namespace.Server.Options.JsonSerializerOptions)))
            {
                throw new InvalidOperationException("The socket is disconnected.");
            }

            return await tcs.Task.WaitAsync(timeout ?? Namespace.Server.Options.AckTimeout, Namespace.Server.Time, cancellationToken);
        }
        finally
        {
            pending.TryRemove(id, out _);
        }
    }

    /// <summary>Adds this socket to a room.</summary>
    public ValueTask JoinAsync(string room, CancellationToken cancellationToken = default) => Namespace.Adapter.AddToRoomAsync(Id, room, cancellationToken);

    /// <summary>Removes this socket from a room.</summary>
    public ValueTask LeaveAsync(string room, CancellationToken cancellationToken = default) => Namespace.Adapter.RemoveFromRoomAsync(Id, room, cancellationToken);

    /// <summary>Disconnects from the namespace (the client gets DISCONNECT); with <paramref name="closeConnection"/> the whole connection closes.</summary>
    public void Disconnect(bool closeConnection = false)
    {
        if (Connected)
        {
            SendPacket(new OutboundMessage(EngineFrame.Text(SocketPacketWriter.Build<object?>(SocketPacketType.Disconnect, Namespace.Name, -1, 0, null, null))));
            _connection.RemoveSocket(this, "server namespace disconnect");
        }

        if (closeConnection)
        {
            Session.Close("forced server close");
        }
    }

    /// <summary>Queues an already encoded packet for this client.</summary>
    public bool SendPacket(in OutboundMessage packet) => Connected && Session.Send(packet);

    internal bool MarkDisconnected()
    {
        if (Interlocked.Exchange(ref _connected, 0) == 0)
        {
            return false;
        }

        if (_pendingAcks is { } pending)
        {
            foreach (var tcs in pending.Values)
            {
                tcs.TrySetException(new InvalidOperationException("The socket disconnected before acknowledging."));
            }
        }

        return true;
    }

    internal void CompleteAck(long id, SocketIOAck ack)
    {
        if (_pendingAcks is { } pending && pending.TryRemove(id, out var tcs))
        {
            tcs.TrySetResult(ack);
        }
    }
}
