using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.SocketIO.Adapters;

/// <summary>Who a broadcast goes to: sockets in any of <see cref="Rooms"/> (all when empty), minus <see cref="Except"/>.</summary>
public sealed record BroadcastTarget(IReadOnlyCollection<string> Rooms, IReadOnlyCollection<string> Except)
{
    /// <summary>Every socket of the namespace.</summary>
    public static readonly BroadcastTarget All = new([], []);
}

/// <summary>
/// Rooms and delivery for one namespace, like SignalR's HubLifetimeManager. The in-memory adapter serves one
/// node; a cross-node adapter delivers to sockets held by other nodes.
/// </summary>
public interface ISocketIOAdapter
{
    /// <summary>Adds a socket to a room.</summary>
    ValueTask AddToRoomAsync(string socketId, string room, CancellationToken cancellationToken = default);

    /// <summary>Removes a socket from a room.</summary>
    ValueTask RemoveFromRoomAsync(string socketId, string room, CancellationToken cancellationToken = default);

    /// <summary>Removes a socket from every room; returns the rooms it was in.</summary>
    ValueTask<IReadOnlyCollection<string>> RemoveSocketAsync(string socketId, CancellationToken cancellationToken = default);

    /// <summary>The rooms a socket is in.</summary>
    IReadOnlyCollection<string> GetRooms(string socketId);

    /// <summary>Ids of the sockets in any of the rooms (every socket when empty).</summary>
    ValueTask<IReadOnlyCollection<string>> GetSocketIdsAsync(IReadOnlyCollection<string> rooms, CancellationToken cancellationToken = default);

    /// <summary>Sends an encoded packet to the target's sockets; returns how many got it on this node.</summary>
    ValueTask<int> BroadcastAsync(OutboundMessage packet, BroadcastTarget target, CancellationToken cancellationToken = default);
}

/// <summary>Creates the adapter of each namespace.</summary>
public interface ISocketIOAdapterFactory
{
    /// <summary>The adapter for <paramref name="nsp"/>.</summary>
    ISocketIOAdapter Create(SocketIONamespace nsp);
}
