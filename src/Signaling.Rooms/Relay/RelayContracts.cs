namespace Signaling.Rooms.Relay;

/// <summary>A message for one peer: an event name and its single argument as UTF-8 JSON.</summary>
/// <param name="Event">The event name (<c>exchange</c>, <c>leave</c>).</param>
/// <param name="Argument">The argument, encoded once and shared by every recipient.</param>
public readonly record struct RelayMessage(string Event, ReadOnlyMemory<byte> Argument);

/// <summary>A live connection on this node that can receive relay messages (a Socket.IO socket, a SignalR connection).</summary>
public interface IRelayPeer
{
    /// <summary>The peer id other clients address it by.</summary>
    string Id { get; }

    /// <summary>Queues a message for the connection; false when it is gone.</summary>
    bool Deliver(in RelayMessage message);
}

/// <summary>Room membership, shared by every node.</summary>
public interface IRoomStore
{
    /// <summary>Adds a peer to a room atomically and returns the members that were there before it (the peer excluded).</summary>
    /// <returns>Null when the room is full.</returns>
    ValueTask<IReadOnlyList<string>?> JoinAsync(string roomId, string peerId, int maxSize, CancellationToken cancellationToken = default);

    /// <summary>Removes a peer from a room; returns the remaining members, or null when it was not in the room.</summary>
    ValueTask<IReadOnlyList<string>?> LeaveAsync(string roomId, string peerId, CancellationToken cancellationToken = default);

    /// <summary>Removes a peer from every room; returns each room it left with the remaining members.</summary>
    ValueTask<IReadOnlyList<(string RoomId, IReadOnlyList<string> Remaining)>> LeaveAllAsync(string peerId, CancellationToken cancellationToken = default);

    /// <summary>The rooms a peer is in.</summary>
    ValueTask<IReadOnlyList<string>> GetRoomsAsync(string peerId, CancellationToken cancellationToken = default);

    /// <summary>True when the two peers are in at least one common room.</summary>
    ValueTask<bool> ShareRoomAsync(string peerA, string peerB, CancellationToken cancellationToken = default);
}

/// <summary>Delivers relay messages to peers wherever they are connected.</summary>
public interface IRelayBus
{
    /// <summary>Registers a peer connected to this node.</summary>
    ValueTask RegisterAsync(IRelayPeer peer, CancellationToken cancellationToken = default);

    /// <summary>Forgets a peer of this node.</summary>
    ValueTask UnregisterAsync(string peerId, CancellationToken cancellationToken = default);

    /// <summary>Sends to a peer on any node; false when no node holds it.</summary>
    ValueTask<bool> SendAsync(string peerId, RelayMessage message, CancellationToken cancellationToken = default);
}
