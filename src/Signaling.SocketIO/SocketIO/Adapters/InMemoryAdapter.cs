using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.SocketIO.Adapters;

/// <summary>Rooms of one namespace on one node. A socket's own id works as a room holding just that socket.</summary>
public sealed class InMemoryAdapter(SocketIONamespace nsp) : ISocketIOAdapter
{
    private readonly Dictionary<string, HashSet<string>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _socketRooms = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    /// <inheritdoc />
    public ValueTask AddToRoomAsync(string socketId, string room, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (!_rooms.TryGetValue(room, out var members))
            {
                _rooms[room] = members = new HashSet<string>(StringComparer.Ordinal);
            }

            members.Add(socketId);
            if (!_socketRooms.TryGetValue(socketId, out var rooms))
            {
                _socketRooms[socketId] = rooms = new HashSet<string>(StringComparer.Ordinal);
            }

            rooms.Add(room);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RemoveFromRoomAsync(string socketId, string room, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            RemoveMember(room, socketId);
            if (_socketRooms.TryGetValue(socketId, out var rooms) && rooms.Remove(room) && rooms.Count == 0)
            {
                _socketRooms.Remove(socketId);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<string>> RemoveSocketAsync(string socketId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (!_socketRooms.Remove(socketId, out var rooms))
            {
                return ValueTask.FromResult<IReadOnlyCollection<string>>([]);
            }

            foreach (var room in rooms)
            {
                RemoveMember(room, socketId);
            }

            return ValueTask.FromResult<IReadOnlyCollection<string>>(rooms);
        }
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> GetRooms(string socketId)
    {
        lock (_sync)
        {
            return _socketRooms.TryGetValue(socketId, out var rooms) ? [.. rooms] : [];
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<string>> GetSocketIdsAsync(IReadOnlyCollection<string> rooms, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<IReadOnlyCollection<string>>(Resolve(new BroadcastTarget(rooms, [])));

    /// <inheritdoc />
    public ValueTask<int> BroadcastAsync(OutboundMessage packet, BroadcastTarget target, CancellationToken cancellationToken = default)
    {
        var sent = 0;
        foreach (var id in Resolve(target))
        {
            if (nsp.TryGetSocket(id, out var socket) && socket.SendPacket(packet))
            {
                sent++;
            }
        }

        return ValueTask.FromResult(sent);
    }

    private HashSet<string> Resolve(BroadcastTarget target)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (target.Rooms.Count == 0)
        {
            foreach (var socket in nsp.Sockets)
            {
                ids.Add(socket.Id);
            }
        }
        else
        {
            lock (_sync)
            {
                foreach (var room in target.Rooms)
                {
                    if (_rooms.TryGetValue(room, out var members))
                    {
                        ids.UnionWith(members);
                    }
                }
            }

            foreach (var room in target.Rooms)
            {
                if (nsp.TryGetSocket(room, out _))
                {
                    ids.Add(room);
                }
            }
        }

        ids.ExceptWith(target.Except);
        return ids;
    }

    private void RemoveMember(string room, string socketId)
    {
        if (_rooms.TryGetValue(room, out var members) && members.Remove(socketId) && members.Count == 0)
        {
            _rooms.Remove(room);
        }
    }
}

/// <summary>Creates <see cref="InMemoryAdapter"/>s.</summary>
public sealed class InMemoryAdapterFactory : ISocketIOAdapterFactory
{
    /// <inheritdoc />
    public ISocketIOAdapter Create(SocketIONamespace nsp) => new InMemoryAdapter(nsp);
}
