using Signaling.Rooms.Relay;

namespace Signaling.Server.Realtime;

/// <summary>A live, authenticated connection of a user (Socket.IO socket or SignalR connection).</summary>
/// <param name="UserId">The user.</param>
/// <param name="DeviceId">The device the connection named, if any.</param>
/// <param name="Peer">Where to deliver events.</param>
public sealed record UserConnection(string UserId, string? DeviceId, IRelayPeer Peer);

/// <summary>Authenticated connections on this node, by user: who gets invitation events.</summary>
public sealed class UserConnections
{
    private readonly Dictionary<string, List<UserConnection>> _byUser = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    /// <summary>Adds a connection.</summary>
    public void Add(UserConnection connection)
    {
        lock (_sync)
        {
            if (!_byUser.TryGetValue(connection.UserId, out var list))
            {
                _byUser[connection.UserId] = list = [];
            }

            list.Add(connection);
        }
    }

    /// <summary>Removes a connection by its peer id.</summary>
    public void Remove(string userId, string peerId)
    {
        lock (_sync)
        {
            if (_byUser.TryGetValue(userId, out var list))
            {
                list.RemoveAll(c => c.Peer.Id == peerId);
                if (list.Count == 0)
                {
                    _byUser.Remove(userId);
                }
            }
        }
    }

    /// <summary>The user's connections, optionally leaving out one device's.</summary>
    public IReadOnlyList<UserConnection> Get(string userId, string? exceptDeviceId = null)
    {
        lock (_sync)
        {
            return _byUser.TryGetValue(userId, out var list)
                ? [.. list.Where(c => exceptDeviceId is null || c.DeviceId != exceptDeviceId)]
                : [];
        }
    }

    /// <summary>Device ids with a live connection for the user.</summary>
    public IReadOnlySet<string> OnlineDevices(string userId)
    {
        lock (_sync)
        {
            return _byUser.TryGetValue(userId, out var list)
                ? list.Where(c => c.DeviceId is not null).Select(c => c.DeviceId!).ToHashSet(StringComparer.Ordinal)
                : new HashSet<string>();
        }
    }
}
