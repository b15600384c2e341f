using Microsoft.Extensions.Options;
using Signaling.Rooms.Redis;
using StackExchange.Redis;

namespace Signaling.Rooms.Presence;

/// <summary>
/// Presence shared by every node: a hash per user (peer id → device id) and a reverse index (peer id → user id), so a
/// dead node's peers can be removed by whichever node cleans up after it.
/// </summary>
public sealed class RedisUserPresence(IConnectionMultiplexer redis, IOptions<RoomsRedisOptions> options) : IUserPresence, INodeFailureHandler
{
    private readonly string _prefix = options.Value.KeyPrefix;

    private RedisKey UserKey(string userId) => _prefix + "presence:user:" + userId;

    private RedisKey PeerIndex => _prefix + "presence:peers";

    /// <inheritdoc />
    public async ValueTask AddAsync(string userId, string peerId, string? deviceId, CancellationToken cancellationToken = default)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.HashSetAsync(UserKey(userId), peerId, deviceId ?? string.Empty);
        _ = transaction.HashSetAsync(PeerIndex, peerId, userId);
        await transaction.ExecuteAsync();
    }

    /// <inheritdoc />
    public async ValueTask RemoveAsync(string userId, string peerId, CancellationToken cancellationToken = default)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.HashDeleteAsync(UserKey(userId), peerId);
        _ = transaction.HashDeleteAsync(PeerIndex, peerId);
        await transaction.ExecuteAsync();
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<PresenceEntry>> GetAsync(string userId, CancellationToken cancellationToken = default)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(UserKey(userId));
        return [.. entries.Select(e => new PresenceEntry(e.Name!, e.Value.IsNullOrEmpty ? null : (string?)e.Value))];
    }

    /// <summary>A node died: its connections are gone, so their users are offline there (pushes reach their devices again).</summary>
    public async Task OnNodeFailedAsync(NodeFailure failure, CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        foreach (var peerId in failure.PeerIds)
        {
            var userId = await database.HashGetAsync(PeerIndex, peerId);
            if (!userId.IsNullOrEmpty)
            {
                await RemoveAsync(userId!, peerId, cancellationToken);
            }
        }
    }
}
