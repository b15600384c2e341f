using Microsoft.Extensions.Options;

namespace Signaling.Rooms.Invitations;

/// <summary>
/// Single-node <see cref="IInvitationStore"/>. One lock guards every structure, so each operation is atomic across
/// the invitation, the per-user indexes, the deadline index, busy entries and idempotency keys.
/// </summary>
public sealed class InMemoryInvitationStore : IInvitationStore
{
    private static readonly Comparer<(DateTimeOffset At, string Id)> ByTimeThenId = Comparer<(DateTimeOffset At, string Id)>.Create(static (a, b) =>
    {
        var c = a.At.CompareTo(b.At);
        return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
    });

    private static readonly HashSet<string> NoIds = [];

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<InvitationOptions> _options;

    private readonly Dictionary<string, Invitation> _invitations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _incoming = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _outgoing = new(StringComparer.Ordinal);

    // Ringing invitations by deadline (or by lease expiry once claimed), like a Redis sorted set.
    private readonly SortedSet<(DateTimeOffset At, string Id)> _due = new(ByTimeThenId);
    private readonly Dictionary<string, DateTimeOffset> _dueScore = new(StringComparer.Ordinal);

    // Finished invitations by purge time.
    private readonly SortedSet<(DateTimeOffset At, string Id)> _purge = new(ByTimeThenId);

    // user -> invitation id -> busy until.
    private readonly Dictionary<string, Dictionary<string, DateTimeOffset>> _busy = new(StringComparer.Ordinal);

    private readonly Dictionary<(string Inviter, string Key), IdempotencyRecord> _idempotency = [];
    private readonly Dictionary<string, (string Inviter, string Key)> _idempotencyByInvitation = new(StringComparer.Ordinal);
    private readonly SortedSet<(DateTimeOffset At, string Id)> _idempotencyExpiry = new(ByTimeThenId);

    /// <summary>Creates the store.</summary>
    public InMemoryInvitationStore(TimeProvider timeProvider, IOptionsMonitor<InvitationOptions> options)
    {
        _time = timeProvider;
        _options = options;
    }

    /// <inheritdoc/>
    public ValueTask<InvitationCreateResult> CreateAsync(NewInvitation invitation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            (string, string)? idempotencyKey = invitation.IdempotencyKey is { } key ? (invitation.Inviter, key) : null;
            if (idempotencyKey is { } k && _idempotency.TryGetValue(k, out var record) && record.ExpiresAt > now)
            {
                return ValueTask.FromResult(record.Fingerprint == invitation.RequestFingerprint
                    ? new InvitationCreateResult { Result = record.Result with { Replayed = true } }
                    : new InvitationCreateResult { Error = InvitationRules.IdempotencyConflictError(record.Result.InvitationId) });
            }

            foreach (var invitee in invitation.Invitees)
            {
                foreach (var id in Index(_outgoing, invitee))
                {
                    var existing = _invitations[id];
                    if (InvitationRules.IsGlare(existing, invitation.Inviter, now))
                    {
                        return ValueTask.FromResult(new InvitationCreateResult { Error = InvitationRules.GlareError(existing) });
                    }
                }
            }

            var busy = invitation.RefuseBusyInvitees ? invitation.Invitees.Where(u => IsBusy(u, now)).ToList() : [];
            var result = InvitationRules.Create(invitation, now, busy);
            if (result.Invitation is not { } created)
            {
                return ValueTask.FromResult(result);
            }

            _invitations.Add(created.InvitationId, created);
            AddToIndex(_outgoing, created.Inviter, created.InvitationId);
            foreach (var entry in created.Invitees)
            {
                AddToIndex(_incoming, entry.UserId, created.InvitationId);
            }

            SetDue(created.InvitationId, created.Deadline);

            if (idempotencyKey is { } newKey)
            {
                var expiresAt = now + _options.CurrentValue.IdempotencyKeyTtl;
                if (_idempotency.Remove(newKey, out var stale))
                {
                    _idempotencyExpiry.Remove((stale.ExpiresAt, stale.Result.InvitationId));
                    _idempotencyByInvitation.Remove(stale.Result.InvitationId);
                }

                _idempotency[newKey] = new IdempotencyRecord(invitation.RequestFingerprint, result.Result!, expiresAt);
                _idempotencyByInvitation[created.InvitationId] = newKey;
                _idempotencyExpiry.Add((expiresAt, created.InvitationId));
            }

            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc/>
    public ValueTask<InvitationUpdateResult> UpdateAsync(string invitationId, InvitationCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitationId);
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_gate)
        {
            if (!_invitations.TryGetValue(invitationId, out var current))
            {
                return ValueTask.FromResult(new InvitationUpdateResult { Error = InvitationError.NotFound(invitationId) });
            }

            var now = _time.GetUtcNow();
            var result = InvitationRules.Apply(current, command, now);
            if (!result.Changed)
            {
                return ValueTask.FromResult(result with { Events = [] });
            }

            var next = result.Invitation!;
            if (next.Version != current.Version + 1 || next.InvitationId != current.InvitationId)
            {
                throw new InvalidOperationException("A transition must bump the version by exactly one.");
            }

            _invitations[invitationId] = next;
            if (next.State != InvitationState.Ringing)
            {
                RemoveDue(invitationId);
                if (current.State == InvitationState.Ringing)
                {
                    _purge.Add((PurgeTime(next), invitationId));
                }
                else if (PurgeTime(current) != PurgeTime(next))
                {
                    _purge.Remove((PurgeTime(current), invitationId));
                    _purge.Add((PurgeTime(next), invitationId));
                }
            }

            UpdateBusy(current, next, now);
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc/>
    public ValueTask<Invitation?> GetAsync(string invitationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invitationId);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_gate)
        {
            return ValueTask.FromResult(_invitations.TryGetValue(invitationId, out var invitation)
                ? InvitationRules.Project(invitation, _time.GetUtcNow())
                : null);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<Invitation>> ListForUserAsync(string userId, InvitationRole role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            IReadOnlyList<Invitation> list = Index(role == InvitationRole.Incoming ? _incoming : _outgoing, userId)
                .Select(id => InvitationRules.Project(_invitations[id], now))
                .OrderByDescending(i => i.CreateTime)
                .ThenBy(i => i.InvitationId, StringComparer.Ordinal)
                .ToList();
            return ValueTask.FromResult(list);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> ClaimDueAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        cancellationToken.ThrowIfCancellationRequested();

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var claimed = new List<string>();
            foreach (var (at, id) in _due)
            {
                if (at > now || claimed.Count == maxCount)
                {
                    break;
                }

                claimed.Add(id);
            }

            foreach (var id in claimed)
            {
                SetDue(id, now + lease);
            }

            return ValueTask.FromResult<IReadOnlyList<string>>(claimed);
        }
    }

    /// <inheritdoc/>
    public ValueTask RemoveExpiredAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            while (_purge.Count > 0 && _purge.Min.At <= now)
            {
                var (at, id) = _purge.Min;
                _purge.Remove((at, id));
                if (_invitations.Remove(id, out var invitation))
                {
                    RemoveFromIndex(_outgoing, invitation.Inviter, id);
                    foreach (var entry in invitation.Invitees)
                    {
                        RemoveFromIndex(_incoming, entry.UserId, id);
                    }

                    RemoveBusy(invitation.Inviter, id);
                    if (invitation.AcceptedInvitee is { } accepted)
                    {
                        RemoveBusy(accepted.UserId, id);
                    }
                }
            }

            while (_idempotencyExpiry.Count > 0 && _idempotencyExpiry.Min.At <= now)
            {
                var (at, id) = _idempotencyExpiry.Min;
                _idempotencyExpiry.Remove((at, id));
                if (_idempotencyByInvitation.Remove(id, out var key))
                {
                    _idempotency.Remove(key);
                }
            }
        }

        return ValueTask.CompletedTask;
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

    private bool IsBusy(string userId, DateTimeOffset now) =>
        _busy.TryGetValue(userId, out var calls) && calls.Values.Any(until => until > now);

    private void UpdateBusy(Invitation before, Invitation after, DateTimeOffset now)
    {
        foreach (var user in InvitationRules.BusyUsers(before, now))
        {
            RemoveBusy(user, before.InvitationId);
        }

        foreach (var user in InvitationRules.BusyUsers(after, now))
        {
            if (!_busy.TryGetValue(user, out var calls))
            {
                _busy[user] = calls = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            }

            calls[after.InvitationId] = after.BusyUntil!.Value;
        }
    }

    private void RemoveBusy(string userId, string invitationId)
    {
        if (_busy.TryGetValue(userId, out var calls) && calls.Remove(invitationId) && calls.Count == 0)
        {
            _busy.Remove(userId);
        }
    }

    private void SetDue(string invitationId, DateTimeOffset at)
    {
        RemoveDue(invitationId);
        _due.Add((at, invitationId));
        _dueScore[invitationId] = at;
    }

    private void RemoveDue(string invitationId)
    {
        if (_dueScore.Remove(invitationId, out var at))
        {
            _due.Remove((at, invitationId));
        }
    }

    private static HashSet<string> Index(Dictionary<string, HashSet<string>> index, string userId) =>
        index.TryGetValue(userId, out var ids) ? ids : NoIds;

    private static void AddToIndex(Dictionary<string, HashSet<string>> index, string userId, string invitationId)
    {
        if (!index.TryGetValue(userId, out var ids))
        {
            index[userId] = ids = new HashSet<string>(StringComparer.Ordinal);
        }

        ids.Add(invitationId);
    }

    private static void RemoveFromIndex(Dictionary<string, HashSet<string>> index, string userId, string invitationId)
    {
        if (index.TryGetValue(userId, out var ids) && ids.Remove(invitationId) && ids.Count == 0)
        {
            index.Remove(userId);
        }
    }

    private sealed record IdempotencyRecord(string? Fingerprint, SendInvitationResult Result, DateTimeOffset ExpiresAt);
}
