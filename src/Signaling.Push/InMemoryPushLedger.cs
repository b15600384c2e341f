namespace Signaling.Push;

/// <summary>A process-local <see cref="IPushLedger"/> that drops an invitation's records after their expiry.</summary>
public sealed class InMemoryPushLedger : IPushLedger
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _byInvitation = new(StringComparer.Ordinal);
    private DateTimeOffset _lastSweep;

    /// <summary>Creates the ledger; <paramref name="timeProvider"/> decides expiry.</summary>
    public InMemoryPushLedger(TimeProvider timeProvider)
    {
        _time = timeProvider;
        _lastSweep = timeProvider.GetUtcNow();
    }

    /// <inheritdoc />
    public Task<bool> TryClaimAsync(PushOutcome pending, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            SweepIfDue(now);
            var entry = LiveEntry(pending.InvitationId, expiresAt, now);
            return Task.FromResult(entry.Outcomes.TryAdd((pending.UserId, pending.DeviceId, pending.Kind), pending));
        }
    }

    /// <inheritdoc />
    public Task RecordAsync(PushOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_byInvitation.TryGetValue(outcome.InvitationId, out var entry))
            {
                // Recording without a claim (or after expiry) keeps the outcome for one sweep period at least.
                entry = new Entry(_time.GetUtcNow() + SweepInterval);
                _byInvitation[outcome.InvitationId] = entry;
            }

            entry.Outcomes[(outcome.UserId, outcome.DeviceId, outcome.Kind)] = outcome;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PushOutcome>> GetOutcomesAsync(string invitationId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            IReadOnlyList<PushOutcome> result = _byInvitation.TryGetValue(invitationId, out var entry) && entry.ExpiresAt > now
                ? [.. entry.Outcomes.Values.OrderBy(o => o.UserId, StringComparer.Ordinal).ThenBy(o => o.DeviceId, StringComparer.Ordinal).ThenBy(o => o.Kind)]
                : [];
            return Task.FromResult(result);
        }
    }

    /// <inheritdoc />
    public Task NoteCancelAsync(CancelNote note, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(note);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            SweepIfDue(now);
            var entry = LiveEntry(note.InvitationId, expiresAt, now);
            entry.CancelNote ??= note;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<CancelNote?> GetCancelNoteAsync(string invitationId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return Task.FromResult(_byInvitation.TryGetValue(invitationId, out var entry) && entry.ExpiresAt > now ? entry.CancelNote : null);
        }
    }

    /// <summary>The invitation's entry, new when there is none or it expired, kept until <paramref name="expiresAt"/> at least.</summary>
    private Entry LiveEntry(string invitationId, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        if (!_byInvitation.TryGetValue(invitationId, out var entry) || entry.ExpiresAt <= now)
        {
            entry = new Entry(expiresAt);
            _byInvitation[invitationId] = entry;
        }
        else if (expiresAt > entry.ExpiresAt)
        {
            entry.ExpiresAt = expiresAt;
        }

        return entry;
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        if (now - _lastSweep < SweepInterval)
        {
            return;
        }

        _lastSweep = now;
        foreach (var (id, entry) in _byInvitation)
        {
            if (entry.ExpiresAt <= now)
            {
                _byInvitation.Remove(id);
            }
        }
    }

    private sealed class Entry(DateTimeOffset expiresAt)
    {
        public DateTimeOffset ExpiresAt { get; set; } = expiresAt;

        public Dictionary<(string UserId, string DeviceId, PushKind Kind), PushOutcome> Outcomes { get; } = [];

        public CancelNote? CancelNote { get; set; }
    }
}
