using System.Collections.Concurrent;

namespace Signaling.Rooms.Relay;

/// <summary>Delivers to peers connected to this node; the whole bus when there is one node.</summary>
public sealed class LocalRelayBus : IRelayBus
{
    private readonly ConcurrentDictionary<string, IRelayPeer> _peers = new(StringComparer.Ordinal);

    /// <summary>Peers on this node.</summary>
    public int Count => _peers.Count;

    /// <summary>Finds a local peer.</summary>
    public bool TryGetPeer(string peerId, out IRelayPeer peer) => _peers.TryGetValue(peerId, out peer!);

    /// <inheritdoc />
    public ValueTask RegisterAsync(IRelayPeer peer, CancellationToken cancellationToken = default)
    {
        _peers[peer.Id] = peer;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask UnregisterAsync(string peerId, CancellationToken cancellationToken = default)
    {
        _peers.TryRemove(peerId, out _);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> SendAsync(string peerId, RelayMessage message, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(_peers.TryGetValue(peerId, out var peer) && peer.Deliver(message));
}
