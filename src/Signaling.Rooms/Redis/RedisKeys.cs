using System.Globalization;
using StackExchange.Redis;

namespace Signaling.Rooms.Redis;

/// <summary>
/// Every key and channel name, under one prefix. Each kind has its own fixed segment right after the prefix and the
/// variable part last, so no id (a room named <c>*</c>, a user id with colons) can reach another kind's keys.
/// </summary>
/// <remarks>
/// <code>
/// room:{roomId}                 SET     peers in the room
/// peer:{peerId}                 SET     rooms of the peer
/// directory                     HASH    peer id -> node id holding its connection
/// nodes                         SET     node ids seen
/// nodes:{nodeId}                STRING  heartbeat, expires after NodeTimeout
/// nodes:{nodeId}:peers          SET     peers registered by that node
/// nodes:{nodeId}:cleanup        STRING  lock of the survivor cleaning up a dead node
/// node:{nodeId}                 CHANNEL relay envelopes for that node (literal)
/// invitation:{id}               HASH    v = version, d = JSON snapshot
/// invitations:out:{user}        SET     invitations the user sent
/// invitations:in:{user}         SET     invitations the user received
/// invitations:user:{user}       STRING  change counter of the user's invitations (guards glare and busy checks)
/// invitations:busy:{user}       ZSET    accepted invitation id -> busy until (µs)
/// invitations:due               ZSET    ringing invitation id -> deadline, or lease end once claimed (µs)
/// invitations:purge             ZSET    finished invitation id -> end of retention (µs)
/// invitations:idem:{n}:{inviter}:{key}  STRING  idempotency record (n = inviter length)
/// </code>
/// Times in sorted sets are microseconds since the Unix epoch of the store's clock: exact in a double.
/// </remarks>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey Room(string roomId) => Prefix + "room:" + roomId;

    public RedisKey PeerRooms(string peerId) => Prefix + "peer:" + peerId;

    public RedisKey Directory => Prefix + "directory";

    public RedisKey Nodes => Prefix + "nodes";

    public RedisKey NodeHeartbeat(string nodeId) => Prefix + "nodes:" + nodeId;

    public RedisKey NodePeers(string nodeId) => Prefix + "nodes:" + nodeId + ":peers";

    public RedisKey NodeCleanup(string nodeId) => Prefix + "nodes:" + nodeId + ":cleanup";

    public RedisChannel NodeChannel(string nodeId) => RedisChannel.Literal(Prefix + "node:" + nodeId);

    public RedisKey Invitation(string invitationId) => Prefix + "invitation:" + invitationId;

    public RedisKey Outgoing(string userId) => Prefix + "invitations:out:" + userId;

    public RedisKey Incoming(string userId) => Prefix + "invitations:in:" + userId;

    public RedisKey Ringing(string userId) => Prefix + "invitations:ringing:" + userId;

    public RedisKey UserCounter(string userId) => Prefix + "invitations:user:" + userId;

    public RedisKey Busy(string userId) => Prefix + "invitations:busy:" + userId;

    public RedisKey Due => Prefix + "invitations:due";

    public RedisKey Purge => Prefix + "invitations:purge";

    public RedisKey Idempotency(string inviter, string key) =>
        Prefix + "invitations:idem:" + inviter.Length.ToString(CultureInfo.InvariantCulture) + ":" + inviter + ":" + key;

    /// <summary>Microseconds since the Unix epoch, rounded down.</summary>
    public static long Micros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>Microseconds since the Unix epoch, rounded up, so that a score is never earlier than the instant.</summary>
    public static long MicrosCeiling(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return (ticks / 10) + (ticks % 10 > 0 ? 1 : 0);
    }
}
