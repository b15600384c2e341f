using System.Globalization;
using StackExchange.Redis;

namespace Signaling.Push.Redis;

/// <summary>
/// The push stores' keys, under one prefix. Each kind has its own fixed segment right after the prefix and the
/// variable part last, so no id (a user id with colons) can reach another kind's keys, nor the Rooms library's.
/// </summary>
/// <remarks>
/// <code>
/// devices:{userId}        HASH  device id -> PushDevice JSON
/// push:{invitationId}     HASH  exp -> expiry (µs, store clock); {kind}:{n}:{userId}:{deviceId} -> PushOutcome JSON (n = user id length);
///                               note -> CancelNote JSON
/// </code>
/// Times are microseconds since the Unix epoch of the store's clock: exact in a Lua double.
/// </remarks>
internal sealed class PushRedisKeys(string prefix)
{
    /// <summary>The ledger hash field holding the invitation's expiry; outcome fields start with a kind, so never clash.</summary>
    public const string ExpiryField = "exp";

    /// <summary>The ledger hash field holding the invitation's cancel note.</summary>
    public const string CancelNoteField = "note";

    public string Prefix { get; } = prefix;

    public RedisKey Devices(string userId) => Prefix + "devices:" + userId;

    public RedisKey Outcomes(string invitationId) => Prefix + "push:" + invitationId;

    public static RedisValue OutcomeField(PushOutcome outcome) =>
        Kind(outcome.Kind) + ":" + outcome.UserId.Length.ToString(CultureInfo.InvariantCulture) + ":" + outcome.UserId + ":" + outcome.DeviceId;

    /// <summary>Microseconds since the Unix epoch, rounded down.</summary>
    public static long Micros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>Microseconds since the Unix epoch, rounded up, so that an expiry is never earlier than the instant.</summary>
    public static long MicrosCeiling(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return (ticks / 10) + (ticks % 10 > 0 ? 1 : 0);
    }

    private static string Kind(PushKind kind) => kind switch
    {
        PushKind.Ring => "ring",
        PushKind.Cancel => "cancel",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown push kind."),
    };
}
