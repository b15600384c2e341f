namespace Signaling.Rooms.Relay;

/// <summary>Room membership for a single node.</summary>
public sealed class InMemoryRoomStore : IRoomStore
{
    private readonly Dictionary<string, HashSet<string>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _peerRooms = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>?> JoinAsync(string roomId, string peerId, int maxSize, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            _rooms.TryGetValue(roomId, out var members);
            var alreadyIn = members?.Contains(peerId) == true;
            if (!alreadyIn && maxSize > 0 && members?.Count >= maxSize)
            {
                return ValueTask.FromResult<IReadOnlyList<string>?>(null);
            }

            var others = members is null ? [] : members.Where(m => m != peerId).ToArray();
            if (members is null)
            {
                _rooms[roomId] = members = new HashSet<string>(StringComparer.Ordinal);
            }

            members.Add(peerId);
            if (!_peerRooms.TryGetValue(peerId, out var rooms))
            {
                _peerRooms[peerId] = rooms = new HashSet<string>(StringComparer.Ordinal);
            }

            rooms.Add(roomId);
            return ValueTask.FromResult<IReadOnlyList<string>?>(others);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>?> LeaveAsync(string roomId, string peerId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (!_peerRooms.TryGetValue(peerId, out var rooms) || !rooms.Remove(roomId))
            {
                return ValueTask.FromResult<IReadOnlyList<string>?>(null);
            }

            if (rooms.Count == 0)
            {
                _peerRooms.Remove(peerId);
            }

            return ValueTask.FromResult<IReadOnlyList<string>?>(RemoveMember(roomId, peerId));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<(string RoomId, IReadOnlyList<string> Remaining)>> LeaveAllAsync(string peerId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (!_peerRooms.Remove(peerId, out var rooms))
            {
                return ValueTask.FromResult<IReadOnlyList<(string, IReadOnlyList<string>)>>([]);
            }

            var left = new List<(string, IReadOnlyList<string>)>(rooms.Count);
            foreach (var room in rooms)
            {
                left.Add((room, RemoveMember(room, peerId)));
            }

            return ValueTask.FromResult<IReadOnlyList<(string, IReadOnlyList<string>)>>(left);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<string>> GetRoomsAsync(string peerId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult<IReadOnlyList<string>>(_peerRooms.TryGetValue(peerId, out var rooms) ? [.. rooms] : []);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> ShareRoomAsync(string peerA, string peerB, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult(
                _peerRooms.TryGetValue(peerA, out var a) && _peerRooms.TryGetValue(peerB, out var b) && a.Overlaps(b));
        }
    }

    private string[] RemoveMember(string roomId, string peerId)
    {
        if (!_rooms.TryGetValue(roomId, out var members))
        {
            return [];
        }

        members.Remove(peerId);
        if (members.Count == 0)
        {
            _rooms.Remove(roomId);
            return [];
        }

        return [.. members];
    }
}
