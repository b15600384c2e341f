using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;
using StackExchange.Redis;

namespace Signaling.Rooms.Redis;

/// <summary>
/// <see cref="IInvitationStore"/> in Redis, shared by every node. Each operation reads what it needs, applies the pure
/// <see cref="InvitationRules"/> in C#, and commits with one compare-and-set script (<see cref="RedisCheckedWrite"/>)
/// that checks the invitation's version (and, for a send, the idempotency key and the invitees' change counters)
/// before writing the invitation, its user indexes, its deadline and retention entries and busy entries together.
/// A lost race re-reads and re-applies the rules, so two racing answers commit exactly one transition, and a timeout
/// claimed by any node commits once.
/// </summary>
/// <remarks>
/// The clock is the injected <see cref="TimeProvider"/>: the system clock in production, so the nodes' clocks must be
/// synchronised (NTP). Skew only moves the instant at which a late answer loses to the timeout; it cannot make a
/// transition commit twice, because every commit compares the version. Redis key expiry (idempotency records and
/// counters) runs on Redis's clock as a backstop; the rules themselves always compare store times.
/// </remarks>
public sealed class RedisInvitationStore : IInvitationStore
{
    // KEYS[1] deadlines; ARGV[1] now (µs), ARGV[2] max count, ARGV[3] lease end (µs).
    private const string ClaimScript = """
        local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, id in ipairs(ids) do
          redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
        end
        return ids
        """;

    private const int MaxAttempts = 100;
    private const int PurgeBatch = 256;

    // Counters only have to outlive one read-then-commit; a day keeps idle users from piling up.
    private static readonly long CounterTtlMs = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<InvitationOptions> _options;
    private readonly RedisKeys _keys;

    /// <summary>Creates the store; <paramref name="timeProvider"/> is its clock.</summary>
    public RedisInvitationStore(
        IConnectionMultiplexer redis, TimeProvider timeProvider, IOptionsMonitor<InvitationOptions> options, IOptions<RoomsRedisOptions> redisOptions)
    {
        _redis = redis;
        _time = timeProvider;
        _options = options;
        _keys = new RedisKeys(redisOptions.Value.KeyPrefix);
    }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc/>
    public async ValueTask<InvitationCreateResult> CreateAsync(NewInvitation invitation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        var idempotencyKey = invitation.IdempotencyKey is { } key ? _keys.Idempotency(invitation.Inviter, key) : (RedisKey?)null;

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var db = Db;
            var storedTask = idempotencyKey is { } k ? db.StringGetAsync(k) : Task.FromResult(RedisValue.Null);
            var countersTask = Task.WhenAll(invitation.Invitees.Select(u => db.StringGetAsync(_keys.UserCounter(u))));
            var stored = await storedTask.ConfigureAwait(false);
            var counters = await countersTask.ConfigureAwait(false);
            var now = _time.GetUtcNow();

            if (!stored.IsNull)
            {
                var record = JsonSerializer.Deserialize((string)stored!, RedisInvitationJson.Default.StoredIdempotency)!;
                if (record.ExpiresAt > now)
                {
                    return record.Fingerprint == invitation.RequestFingerprint
                        ? new InvitationCreateResult { Result = Normalize(record.Result) with { Replayed = true } }
                        : new InvitationCreateResult { Error = InvitationRules.IdempotencyConflictError(record.Result.InvitationId) };
                }
            }

            foreach (var invitee in invitation.Invitees)
            {
                foreach (var existing in await LoadAllAsync(await db.SetMembersAsync(_keys.Ringing(invitee)).ConfigureAwait(false)).ConfigureAwait(false))
                {
                    if (InvitationRules.IsGlare(existing, invitation.Inviter, now))
                    {
                        return new InvitationCreateResult { Error = InvitationRules.GlareError(existing) };
                    }
                }
            }

            var busy = invitation.RefuseBusyInvitees ? await BusyAsync(invitation.Invitees, now).ConfigureAwait(false) : [];
            var result = InvitationRules.Create(invitation, now, busy);
            if (result.Invitation is not { } created)
            {
                return result;
            }

            result = result with { Result = Normalize(result.Result!) };
            var id = created.InvitationId;
            var write = new RedisCheckedWrite().Expect("EXISTS", _keys.Invitation(id), 0);
            for (var i = 0; i < invitation.Invitees.Count; i++)
            {
                write.Expect("GET", _keys.UserCounter(invitation.Invitees[i]), counters[i]);
            }

            write.Write("HSET", _keys.Invitation(id), "v", created.Version, "d", Serialize(created))
                .Write("SADD", _keys.Outgoing(created.Inviter), id)
                .Write("SADD", _keys.Ringing(created.Inviter), id)
                .Write("ZADD", _keys.Due, RedisKeys.MicrosCeiling(created.Deadline), id);
            foreach (var entry in created.Invitees)
            {
                write.Write("SADD", _keys.Incoming(entry.UserId), id);
            }

            if (idempotencyKey is { } newKey)
            {
                var ttl = _options.CurrentValue.IdempotencyKeyTtl;
                var record = new StoredIdempotency(invitation.RequestFingerprint, result.Result!, now + ttl);
                write.Expect("GET", newKey, stored)
                    .Write("SET", newKey, JsonSerializer.Serialize(record, RedisInvitationJson.Default.StoredIdempotency), "PX", Milliseconds(ttl));
            }

            BumpCounters(write, created);
            if (await write.ExecuteAsync(db).ConfigureAwait(false))
            {
                return result;
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }

        throw Contention(invitation.InvitationId);
    }

    /// <inheritdoc/>
    public async ValueTask<InvitationUpdateResult> UpdateAsync(string invitationId, InvitationCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitationId);
        ArgumentNullException.ThrowIfNull(command);

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var db = Db;
            if (await LoadAsync(invitationId).ConfigureAwait(false) is not { } current)
            {
                return new InvitationUpdateResult { Error = InvitationError.NotFound(invitationId) };
            }

            var now = _time.GetUtcNow();
            var result = InvitationRules.Apply(current, command, now);
            if (!result.Changed)
            {
                return result with { Events = [] };
            }

            var next = result.Invitation!;
            if (next.Version != current.Version + 1 || next.InvitationId != current.InvitationId)
            {
                throw new InvalidOperationException("A transition must bump the version by exactly one.");
            }

            var key = _keys.Invitation(invitationId);
            var write = new RedisCheckedWrite()
                .Expect("HGET", key, current.Version, "v")
                .Write("HSET", key, "v", next.Version, "d", Serialize(next));
            if (next.State != InvitationState.Ringing)
            {
                write.Write("ZREM", _keys.Due, invitationId)
                    .Write("SREM", _keys.Ringing(next.Inviter), invitationId)
                    .Write("ZADD", _keys.Purge, RedisKeys.MicrosCeiling(PurgeTime(next)), invitationId);
            }

            foreach (var user in InvitationRules.BusyUsers(current, now))
            {
                write.Write("ZREM", _keys.Busy(user), invitationId);
            }

            foreach (var user in InvitationRules.BusyUsers(next, now))
            {
                write.Write("ZADD", _keys.Busy(user), RedisKeys.MicrosCeiling(next.BusyUntil!.Value), invitationId);
            }

            BumpCounters(write, next);
            if (await write.ExecuteAsync(db).ConfigureAwait(false))
            {
                return result;
            }

            await BackOffAsync(attempt, cancellationToken).ConfigureAwait(false);
        }

        throw Contention(invitationId);
    }

    /// <inheritdoc/>
    public async ValueTask<Invitation?> GetAsync(string invitationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitationId);
        cancellationToken.ThrowIfCancellationRequested();
        var invitation = await LoadAsync(invitationId).ConfigureAwait(false);
        return invitation is null ? null : InvitationRules.Project(invitation, _time.GetUtcNow());
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<Invitation>> ListForUserAsync(string userId, InvitationRole role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        cancellationToken.ThrowIfCancellationRequested();
        var ids = await Db.SetMembersAsync(role == InvitationRole.Incoming ? _keys.Incoming(userId) : _keys.Outgoing(userId)).ConfigureAwait(false);
        var invitations = await LoadAllAsync(ids).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        return invitations
            .Select(i => InvitationRules.Project(i, now))
            .OrderByDescending(i => i.CreateTime)
            .ThenBy(i => i.InvitationId, StringComparer.Ordinal)
            .ToList();
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> ClaimDueAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        var result = await Db.ScriptEvaluateAsync(
            ClaimScript, [_keys.Due], [RedisKeys.Micros(now), maxCount, RedisKeys.MicrosCeiling(now + lease)]).ConfigureAwait(false);
        return ((RedisValue[])result!).Select(v => (string)v!).ToList();
    }

    /// <inheritdoc/>
    /// <remarks>Idempotency records and counters expire by themselves; this drops invitations past their retention.</remarks>
    public async ValueTask RemoveExpiredAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = _time.GetUtcNow();
            var ids = await Db.SortedSetRangeByScoreAsync(_keys.Purge, double.NegativeInfinity, RedisKeys.Micros(now), take: PurgeBatch).ConfigureAwait(false);
            foreach (var value in ids)
            {
                await PurgeAsync((string)value!, now).ConfigureAwait(false);
            }

            if (ids.Length < PurgeBatch)
            {
                return;
            }
        }
    }

    private async Task PurgeAsync(string invitationId, DateTimeOffset now)
    {
        var invitation = await LoadAsync(invitationId).ConfigureAwait(false);
        if (invitation is null)
        {
            await Db.SortedSetRemoveAsync(_keys.Purge, invitationId).ConfigureAwait(false);
            return;
        }

        if (invitation.State == InvitationState.Ringing || PurgeTime(invitation) > now)
        {
            // Changed since it was scheduled (EndCall moves the retention); its own entry is already rescheduled.
            return;
        }

        var write = new RedisCheckedWrite()
            .Expect("HGET", _keys.Invitation(invitationId), invitation.Version, "v")
            .Write("DEL", _keys.Invitation(invitationId))
            .Write("SREM", _keys.Outgoing(invitation.Inviter), invitationId)
            .Write("SREM", _keys.Ringing(invitation.Inviter), invitationId)
            .Write("ZREM", _keys.Busy(invitation.Inviter), invitationId)
            .Write("ZREM", _keys.Purge, invitationId)
            .Write("ZREM", _keys.Due, invitationId);
        foreach (var entry in invitation.Invitees)
        {
            write.Write("SREM", _keys.Incoming(entry.UserId), invitationId)
                .Write("ZREM", _keys.Busy(entry.UserId), invitationId);
        }

        // A lost race means it changed meanwhile: the next sweep looks again.
        await write.ExecuteAsync(Db).ConfigureAwait(false);
    }

    private async Task<List<string>> BusyAsync(IReadOnlyList<string> users, DateTimeOffset now)
    {
        var db = Db;
        var nowMicros = RedisKeys.Micros(now);

        // Busy while some accepted call's busy-until lies after now.
        var calls = await Task.WhenAll(users.Select(u => db.SortedSetRangeByScoreAsync(
            _keys.Busy(u), nowMicros, double.PositiveInfinity, Exclude.Start, take: 1))).ConfigureAwait(false);
        return users.Where((_, i) => calls[i].Length > 0).ToList();
    }

    private async Task<Invitation?> LoadAsync(string invitationId)
    {
        var json = await Db.HashGetAsync(_keys.Invitation(invitationId), "d").ConfigureAwait(false);
        return json.IsNull ? null : Deserialize(json);
    }

    private async Task<List<Invitation>> LoadAllAsync(RedisValue[] ids)
    {
        var db = Db;
        var values = await Task.WhenAll(ids.Select(id => db.HashGetAsync(_keys.Invitation((string)id!), "d"))).ConfigureAwait(false);
        return values.Where(v => !v.IsNull).Select(Deserialize).ToList();
    }

    private void BumpCounters(RedisCheckedWrite write, Invitation invitation)
    {
        // Every change to an invitation moves its participants' counters, so a concurrent send that checked glare or
        // busy against them notices and re-reads.
        foreach (var user in invitation.Invitees.Select(e => e.UserId).Prepend(invitation.Inviter))
        {
            var counter = _keys.UserCounter(user);
            write.Write("INCR", counter).Write("PEXPIRE", counter, CounterTtlMs);
        }
    }

    private DateTimeOffset PurgeTime(Invitation finished)
    {
        var end = finished.EndTime ?? finished.Deadline;
        if (finished.BusyUntil is { } until && until > end)
        {
            end = until;
        }

        return end + _options.CurrentValue.Retention;
    }

    private static SendInvitationResult Normalize(SendInvitationResult result) =>
        result with { ErrorInvitees = new ValueList<InviteeError>(result.ErrorInvitees) };

    private static string Milliseconds(TimeSpan span) => Math.Max(1, (long)span.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private static string Serialize(Invitation invitation) => JsonSerializer.Serialize(invitation, RedisInvitationJson.Default.Invitation);

    private static Invitation Deserialize(RedisValue json) => JsonSerializer.Deserialize((string)json!, RedisInvitationJson.Default.Invitation)!;

    private static Task BackOffAsync(int attempt, CancellationToken cancellationToken) =>
        attempt < 3 ? Task.CompletedTask : Task.Delay(Random.Shared.Next(1, Math.Min(attempt, 20)), cancellationToken);

    private static InvalidOperationException Contention(string invitationId) =>
        new($"Invitation {invitationId}: gave up after {MaxAttempts} conflicting attempts.");
}

/// <summary>An idempotency record: the request's fingerprint and the answer to replay.</summary>
internal sealed record StoredIdempotency(string? Fingerprint, SendInvitationResult Result, DateTimeOffset ExpiresAt);

/// <summary>
/// A read-only list compared by its items, so that a replayed <see cref="SendInvitationResult"/> (read back from Redis)
/// equals the first answer the way the in-memory store's shared instance does.
/// </summary>
internal sealed class ValueList<T>(IEnumerable<T> items) : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly T[] _items = [.. items];

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public bool Equals(ValueList<T>? other) => other is not null && _items.AsSpan().SequenceEqual(other._items);

    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Invitation))]
[JsonSerializable(typeof(StoredIdempotency))]
internal sealed partial class RedisInvitationJson : JsonSerializerContext;
