namespace Signaling.Rooms.Presence;

/// <summary>One live, authenticated connection of a user: its relay peer id and the device it named.</summary>
/// <param name="PeerId">The connection's peer id (reachable through <see cref="Relay.IRelayBus"/>).</param>
/// <param name="DeviceId">The device, if the connection named one.</param>
public sealed record PresenceEntry(string PeerId, string? DeviceId);

/// <summary>
/// Which connections each user has, on every node: who gets invitation events, and which devices are online
/// (those are not pushed).
/// </summary>
public interface IUserPresence
{
    /// <summary>Records a connection of <paramref name="userId"/>.</summary>
    ValueTask AddAsync(string userId, string peerId, string? deviceId, CancellationToken cancellationToken = default);

    /// <summary>Forgets a connection.</summary>
    ValueTask RemoveAsync(string userId, string peerId, CancellationToken cancellationToken = default);

    /// <summary>The user's live connections.</summary>
    ValueTask<IReadOnlyList<PresenceEntry>> GetAsync(string userId, CancellationToken cancellationToken = default);
}

/// <summary>Presence on a single node.</summary>
public sealed class InMemoryUserPresence : IUserPresence
{
    private readonly Dictionary<string, List<PresenceEntry>> _byUser = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    /// <inheritdoc />
    public ValueTask AddAsync(string userId, string peerId, string? deviceId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (!_byUser.TryGetValue(userId, out var list))
            {
                _byUser[userId] = list = [];
            }

            list.RemoveAll(e => e.PeerId == peerId);
            list.Add(new PresenceEntry(peerId, deviceId));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RemoveAsync(string userId, string peerId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (_byUser.TryGetValue(userId, out var list) && list.RemoveAll(e => e.PeerId == peerId) > 0 && list.Count == 0)
            {
                _byUser.Remove(userId);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<PresenceEntry>> GetAsync(string userId, CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            return ValueTask.FromResult<IReadOnlyList<PresenceEntry>>(_byUser.TryGetValue(userId, out var list) ? [.. list] : []);
        }
    }
}
