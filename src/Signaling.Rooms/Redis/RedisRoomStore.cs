using Microsoft.Extensions.Options;
using Signaling.Rooms.Relay;
using StackExchange.Redis;

namespace Signaling.Rooms.Redis;

/// <summary>
/// Room membership in Redis, shared by every node: a set of peers per room and a set of rooms per peer, changed
/// together by one script per operation so that a join sees exactly the members before it and respects the size limit.
/// </summary>
public sealed class RedisRoomStore : IRoomStore
{
    // KEYS[1] room members, KEYS[2] the peer's rooms; ARGV[1] peer id, ARGV[2] room id, ARGV[3] max size (0: none).
    private const string JoinScript = """
        local max = tonumber(ARGV[3])
        if max > 0 and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('SCARD', KEYS[1]) >= max then
          return false
        end
        local members = redis.call('SMEMBERS', KEYS[1])
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('SADD', KEYS[2], ARGV[2])
        return members
        """;

    // KEYS[1] the peer's rooms, KEYS[2] room members; ARGV[1] room id, ARGV[2] peer id.
    private const string LeaveScript = """
        if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then
          return false
        end
        redis.call('SREM', KEYS[2], ARGV[2])
        return redis.call('SMEMBERS', KEYS[2])
        """;

    // KEYS[1] the peer's rooms; ARGV[1] peer id, ARGV[2] prefix of room keys. The room keys come from the peer's set,
    // so they are built here: reading the set and leaving the rooms must be one atomic step (a join in between would
    // otherwise be missed). They share the key prefix, hence one slot when the prefix carries a hash tag.
    private const string LeaveAllScript = """
        local rooms = redis.call('SMEMBERS', KEYS[1])
        local result = {}
        for i, room in ipairs(rooms) do
          local key = ARGV[2] .. room
          redis.call('SREM', key, ARGV[1])
          result[i] = { room, redis.call('SMEMBERS', key) }
        end
        redis.call('DEL', KEYS[1])
        return result
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;

    /// <summary>Creates the store.</summary>
    public RedisRoomStore(IConnectionMultiplexer redis, IOptions<RoomsRedisOptions> options)
    {
        _redis = redis;
        _keys = new RedisKeys(options.Value.KeyPrefix);
    }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>?> JoinAsync(string roomId, string peerId, int maxSize, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = await Db.ScriptEvaluateAsync(
            JoinScript, [_keys.Room(roomId), _keys.PeerRooms(peerId)], [peerId, roomId, Math.Max(0, maxSize)]).ConfigureAwait(false);
        if (result.IsNull)
        {
            return null;
        }

        return ToIds((RedisValue[])result!, except: peerId);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>?> LeaveAsync(string roomId, string peerId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = await Db.ScriptEvaluateAsync(
            LeaveScript, [_keys.PeerRooms(peerId), _keys.Room(roomId)], [roomId, peerId]).ConfigureAwait(false);
        return result.IsNull ? null : ToIds((RedisValue[])result!, except: null);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<(string RoomId, IReadOnlyList<string> Remaining)>> LeaveAllAsync(string peerId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = await Db.ScriptEvaluateAsync(
            LeaveAllScript, [_keys.PeerRooms(peerId)], [peerId, _keys.Prefix + "room:"]).ConfigureAwait(false);
        var rooms = (RedisResult[])result!;
        var left = new List<(string, IReadOnlyList<string>)>(rooms.Length);
        foreach (var room in rooms)
        {
            var pair = (RedisResult[])room!;
            left.Add(((string)pair[0]!, ToIds((RedisValue[])pair[1]!, except: null)));
        }

        return left;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<string>> GetRoomsAsync(string peerId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ToIds(await Db.SetMembersAsync(_keys.PeerRooms(peerId)).ConfigureAwait(false), except: null);
    }

    /// <inheritdoc />
    public async ValueTask<bool> ShareRoomAsync(string peerA, string peerB, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var common = await Db.SetCombineAsync(SetOperation.Intersect, _keys.PeerRooms(peerA), _keys.PeerRooms(peerB)).ConfigureAwait(false);
        return common.Length > 0;
    }

    private static string[] ToIds(RedisValue[] values, string? except)
    {
        var ids = new List<string>(values.Length);
        foreach (var value in values)
        {
            var id = (string)value!;
            if (id != except)
            {
                ids.Add(id);
            }
        }

        return [.. ids];
    }
}
