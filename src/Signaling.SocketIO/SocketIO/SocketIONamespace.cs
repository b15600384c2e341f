using System.Collections.Concurrent;
using Signaling.SocketIO.SocketIO.Adapters;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.SocketIO.SocketIO;

/// <summary>Handles an event on any socket of a namespace.</summary>
public delegate ValueTask SocketIOEventHandler(SocketIOSocket socket, SocketIOEvent e);

/// <summary>
/// A Socket.IO namespace. Handlers are registered once per namespace (not per socket), so a connection
/// costs no delegate allocations.
/// </summary>
public sealed class SocketIONamespace
{
    private readonly ConcurrentDictionary<string, SocketIOSocket> _sockets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SocketIOEventHandler> _handlers = new(StringComparer.Ordinal);
    private readonly List<Func<SocketIOConnectContext, ValueTask>> _middlewares = [];
    private readonly List<Func<SocketIOSocket, ValueTask>> _onConnection = [];
    private readonly List<Func<SocketIOSocket, string, ValueTask>> _onDisconnect = [];

    internal SocketIONamespace(string name, SocketIOServer server, ISocketIOAdapterFactory adapterFactory)
    {
        Name = name;
        Server = server;
        Adapter = adapterFactory.Create(this);
    }

    /// <summary>The namespace name, starting with <c>/</c>.</summary>
    public string Name { get; }

    /// <summary>The server.</summary>
    public SocketIOServer Server { get; }

    /// <summary>Rooms and delivery.</summary>
    public ISocketIOAdapter Adapter { get; }

    /// <summary>Sockets connected to this namespace on this node.</summary>
    public ICollection<SocketIOSocket> Sockets => _sockets.Values;

    /// <summary>Adds a connect middleware: it may <see cref="SocketIOConnectContext.Reject"/> the connection.</summary>
    public SocketIONamespace Use(Func<SocketIOConnectContext, ValueTask> middleware)
    {
        lock (_middlewares)
        {
            _middlewares.Add(middleware);
        }

        return this;
    }

    /// <summary>Runs when a socket has connected.</summary>
    public SocketIONamespace OnConnection(Func<SocketIOSocket, ValueTask> handler)
    {
        lock (_onConnection)
        {
            _onConnection.Add(handler);
        }

        return this;
    }

    /// <summary>Runs when a socket has disconnected, with the reason.</summary>
    public SocketIONamespace OnDisconnect(Func<SocketIOSocket, string, ValueTask> handler)
    {
        lock (_onDisconnect)
        {
            _onDisconnect.Add(handler);
        }

        return this;
    }

    /// <summary>Handles an event name for every socket of the namespace.</summary>
    public SocketIONamespace On(string eventName, SocketIOEventHandler handler)
    {
        _handlers[eventName] = handler;
        return this;
    }

    /// <summary>Finds a local socket by id.</summary>
    public bool TryGetSocket(string id, out SocketIOSocket socket) => _sockets.TryGetValue(id, out socket!);

    /// <summary>Emits to every socket of the namespace.</summary>
    public ValueTask<int> EmitAsync(string eventName, params object?[] args) => ToRooms([]).EmitAsync(eventName, args);

    /// <summary>Targets sockets in the room (or with that socket id).</summary>
    public SocketIOBroadcast To(string room) => ToRooms([room]);

    /// <summary>Targets sockets in any of the rooms.</summary>
    public SocketIOBroadcast ToRooms(IReadOnlyCollection<string> rooms) => new(this, rooms, []);

    internal bool TryGetHandler(string eventName, out SocketIOEventHandler handler) => _handlers.TryGetValue(eventName, out handler!);

    internal Func<SocketIOConnectContext, ValueTask>[] Middlewares
    {
        get
        {
            lock (_middlewares)
            {
                return [.. _middlewares];
            }
        }
    }

    internal void Add(SocketIOSocket socket) => _sockets[socket.Id] = socket;

    internal void Remove(SocketIOSocket socket) => _sockets.TryRemove(new KeyValuePair<string, SocketIOSocket>(socket.Id, socket));

    internal async ValueTask RaiseConnectedAsync(SocketIOSocket socket)
    {
        Func<SocketIOSocket, ValueTask>[] handlers;
        lock (_onConnection)
        {
            handlers = [.. _onConnection];
        }

        foreach (var handler in handlers)
        {
            await handler(socket);
        }
    }

    internal async ValueTask RaiseDisconnectedAsync(SocketIOSocket socket, string reason)
    {
        Func<SocketIOSocket, string, ValueTask>[] handlers;
        lock (_onDisconnect)
        {
            handlers = [.. _onDisconnect];
        }

        foreach (var handler in handlers)
        {
            await handler(socket, reason);
        }
    }
}

/// <summary>A broadcast being built: rooms to include, sockets to leave out.</summary>
public readonly struct SocketIOBroadcast
{
    private readonly SocketIONamespace _nsp;
    private readonly IReadOnlyCollection<string> _rooms;
    private readonly IReadOnlyCollection<string> _except;

    internal SocketIOBroadcast(SocketIONamespace nsp, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except)
    {
        _nsp = nsp;
        _rooms = rooms;
        _except = except;
    }

    /// <summary>Also targets this room.</summary>
    public SocketIOBroadcast To(string room) => new(_nsp, [.. _rooms, room], _except);

    /// <summary>Leaves out sockets in this room (or with this id).</summary>
    public SocketIOBroadcast Except(string roomOrSocketId) => new(_nsp, _rooms, [.. _except, roomOrSocketId]);

    /// <summary>Encodes the event once and sends it to every target; returns how many local sockets got it.</summary>
    public ValueTask<int> EmitAsync(string eventName, params object?[] args)
    {
        var packet = SocketPacketWriter.Event(_nsp.Name, eventName, args, -1, _nsp.Server.Options.JsonSerializerOptions);
        return _nsp.Adapter.BroadcastAsync(packet, new BroadcastTarget(_rooms, _except));
    }
}
