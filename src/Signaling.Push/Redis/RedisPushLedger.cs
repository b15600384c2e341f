using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Signaling.Push.Redis;

/// <summary>
/// <see cref="IPushLedger"/> in Redis, shared by every node: one hash per invitation holding its expiry and one
/// outcome per user, device and kind. A claim is one script (HSETNX under the expiry check), so exactly one node
/// rings a device per invitation.
/// </summary>
/// <remarks>
/// Expiry follows the injected <see cref="TimeProvider"/>: the hash stores the invitation's expiry and every read
/// compares it with the store's clock (the system clock in production, so the nodes' clocks must be synchronised).
/// Redis's own key expiry, set a margin after that, only reclaims the memory.
/// </remarks>
public sealed class RedisPushLedger : IPushLedger
{
    // KEYS[1] the invitation's outcomes; ARGV[1] now (µs), ARGV[2] expiry (µs), ARGV[3] field, ARGV[4] outcome JSON,
    // ARGV[5] Redis expiry margin (ms), ARGV[6] longest Redis expiry (ms). Returns 1 when claimed.
    private const string ClaimScript = """
        local now = tonumber(ARGV[1])
        local exp = tonumber(redis.call('HGET', KEYS[1], 'exp'))
        if exp and exp <= now then
          redis.call('DEL', KEYS[1])
          exp = nil
        end
        local wanted = tonumber(ARGV[2])
        if not exp or wanted > exp then
          exp = wanted
          redis.call('HSET', KEYS[1], 'exp', ARGV[2])
        end
        local claimed = redis.call('HSETNX', KEYS[1], ARGV[3], ARGV[4])
        local ttl = math.max(0, math.floor((exp - now) / 1000)) + tonumber(ARGV[5])
        redis.call('PEXPIRE', KEYS[1], math.min(ttl, tonumber(ARGV[6])))
        return claimed
        """;

    // KEYS[1] the invitation's outcomes; ARGV[1] now (µs), ARGV[2] expiry when there is no live record (µs), ARGV[3]
    // field, ARGV[4] outcome JSON, ARGV[5] Redis expiry for a new record (ms).
    private const string RecordScript = """
        local exp = tonumber(redis.call('HGET', KEYS[1], 'exp'))
        if not exp or exp <= tonumber(ARGV[1]) then
          redis.call('DEL', KEYS[1])
          redis.call('HSET', KEYS[1], 'exp', ARGV[2])
          redis.call('PEXPIRE', KEYS[1], ARGV[5])
        end
        redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
        return 1
        """;

    // Recording without a claim (or after expiry) keeps the outcome this long, like the in-memory ledger's sweep period.
    private static readonly TimeSpan UnclaimedRetention = TimeSpan.FromMinutes(1);

    // Redis expires a hash this long after the store's own expiry: generous, since the stored expiry is what counts.
    private static readonly long ExpiryMarginMs = (long)TimeSpan.FromMinutes(5).TotalMilliseconds;

    // Keeps a far-future expiry a plain integer for PEXPIRE (Lua prints larger numbers with an exponent).
    private static readonly long MaxExpiryMs = (long)TimeSpan.FromDays(365).TotalMilliseconds;

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly PushRedisKeys _keys;

    /// <summary>Creates the ledger on the process's multiplexer; <paramref name="timeProvider"/> decides expiry.</summary>
    public RedisPushLedger(IConnectionMultiplexer redis, TimeProvider timeProvider, IOptions<PushRedisOptions> options)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _time = timeProvider;
        _keys = new PushRedisKeys(options.Value.KeyPrefix);
    }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public async Task<bool> TryClaimAsync(PushOutcome pending, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        var claimed = await Db.ScriptEvaluateAsync(
            ClaimScript,
            [_keys.Outcomes(pending.InvitationId)],
            [
                PushRedisKeys.Micros(now),
                PushRedisKeys.MicrosCeiling(expiresAt),
                PushRedisKeys.OutcomeField(pending),
                Serialize(pending),
                ExpiryMarginMs,
                MaxExpiryMs,
            ]);
        return (long)claimed == 1;
    }

    /// <inheritdoc />
    public async Task RecordAsync(PushOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        await Db.ScriptEvaluateAsync(
            RecordScript,
            [_keys.Outcomes(outcome.InvitationId)],
            [
                PushRedisKeys.Micros(now),
                PushRedisKeys.MicrosCeiling(now + UnclaimedRetention),
                PushRedisKeys.OutcomeField(outcome),
                Serialize(outcome),
                (long)UnclaimedRetention.TotalMilliseconds + ExpiryMarginMs,
            ]);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PushOutcome>> GetOutcomesAsync(string invitationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invitationId);
        cancellationToken.ThrowIfCancellationRequested();
        var entries = await Db.HashGetAllAsync(_keys.Outcomes(invitationId));
        var now = PushRedisKeys.Micros(_time.GetUtcNow());
        var expiry = entries.FirstOrDefault(e => e.Name == PushRedisKeys.ExpiryField);
        if (expiry.Value.IsNull || (long)expiry.Value <= now)
        {
            return [];
        }

        return
        [
            .. entries.Where(e => e.Name != PushRedisKeys.ExpiryField && e.Name != PushRedisKeys.CancelNoteField)
                .Select(e => Deserialize(e.Value))
                .OrderBy(o => o.UserId, StringComparer.Ordinal)
                .ThenBy(o => o.DeviceId, StringComparer.Ordinal)
                .ThenBy(o => o.Kind),
        ];
    }

    /// <inheritdoc />
    public async Task NoteCancelAsync(CancelNote note, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(note);
        cancellationToken.ThrowIfCancellationRequested();

        // A claim of the note's own field: the first note is kept and the expiry rules are the outcomes'.
        await Db.ScriptEvaluateAsync(
            ClaimScript,
            [_keys.Outcomes(note.InvitationId)],
            [
                PushRedisKeys.Micros(_time.GetUtcNow()),
                PushRedisKeys.MicrosCeiling(expiresAt),
                PushRedisKeys.CancelNoteField,
                JsonSerializer.Serialize(note, PushRedisJson.Default.CancelNote),
                ExpiryMarginMs,
                MaxExpiryMs,
            ]);
    }

    /// <inheritdoc />
    public async Task<CancelNote?> GetCancelNoteAsync(string invitationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invitationId);
        cancellationToken.ThrowIfCancellationRequested();
        var values = await Db.HashGetAsync(_keys.Outcomes(invitationId), [PushRedisKeys.ExpiryField, PushRedisKeys.CancelNoteField]);
        if (values[0].IsNull || (long)values[0] <= PushRedisKeys.Micros(_time.GetUtcNow()) || values[1].IsNull)
        {
            return null;
        }

        return JsonSerializer.Deserialize((string)values[1]!, PushRedisJson.Default.CancelNote)
            ?? throw new InvalidOperationException("A stored cancel note is null.");
    }

    private static string Serialize(PushOutcome outcome) => JsonSerializer.Serialize(outcome, PushRedisJson.Default.PushOutcome);

    private static PushOutcome Deserialize(RedisValue stored) =>
        JsonSerializer.Deserialize((string)stored!, PushRedisJson.Default.PushOutcome)
        ?? throw new InvalidOperationException("A stored push outcome is null.");
}
