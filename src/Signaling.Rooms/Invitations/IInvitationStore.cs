namespace Signaling.Rooms.Invitations;

/// <summary>
/// Durable state of invitations. Every write is one atomic operation that uses the store's own clock;
/// the rules themselves live in <see cref="InvitationRules"/> so that every store applies the same ones.
/// </summary>
/// <remarks>
/// A Redis implementation maps each method to one Lua script (or a read plus one compare-and-set script on
/// <see cref="Invitation.Version"/> that re-checks the deadline against <c>TIME</c>): the invitation hash, the per-user
/// incoming/outgoing sets, the deadline sorted set, the per-user busy keys and the idempotency key change together.
/// </remarks>
public interface IInvitationStore
{
    /// <summary>
    /// Atomically, in this order: replays the stored answer (or fails with <c>idempotency_conflict</c>) when the
    /// inviter's idempotency key is known; fails with <c>glare</c> when an invitee is ringing the inviter
    /// (<see cref="InvitationRules.IsGlare"/>); leaves out busy invitees when asked to; then stores the invitation via
    /// <see cref="InvitationRules.Create"/>, its user and deadline index entries and the idempotency record.
    /// </summary>
    ValueTask<InvitationCreateResult> CreateAsync(NewInvitation invitation, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically applies <see cref="InvitationRules.Apply"/> to the current invitation at the store's time and, when it
    /// changed, commits it with its index changes (deadline entry dropped once not ringing, busy entries while the
    /// call counts as ongoing). Events are returned only for a committed change.
    /// </summary>
    ValueTask<InvitationUpdateResult> UpdateAsync(string invitationId, InvitationCommand command, CancellationToken cancellationToken);

    /// <summary>The invitation as of the store's time (<see cref="InvitationRules.Project"/>), or null.</summary>
    ValueTask<Invitation?> GetAsync(string invitationId, CancellationToken cancellationToken);

    /// <summary>The user's invitations in <paramref name="role"/>, as of the store's time, newest first.</summary>
    ValueTask<IReadOnlyList<Invitation>> ListForUserAsync(string userId, InvitationRole role, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="maxCount"/> ringing invitations whose deadline has passed, hiding each from other
    /// claimers for <paramref name="lease"/> (a crashed claimer's entries come back). The caller then sends
    /// <see cref="ExpireInvitationCommand"/>; the version check makes the timeout commit exactly once.
    /// </summary>
    ValueTask<IReadOnlyList<string>> ClaimDueAsync(int maxCount, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Drops invitations past their retention, stale busy entries and expired idempotency keys.</summary>
    /// <remarks>Stores with native key expiry may do nothing.</remarks>
    ValueTask RemoveExpiredAsync(CancellationToken cancellationToken);
}

/// <summary>A validated invitation for <see cref="IInvitationStore.CreateAsync"/>.</summary>
public sealed record NewInvitation
{
    /// <summary>The generated id.</summary>
    public required string InvitationId { get; init; }

    /// <summary>The caller.</summary>
    public required string Inviter { get; init; }

    /// <summary>Distinct, valid invitees, none equal to the inviter.</summary>
    public required IReadOnlyList<string> Invitees { get; init; }

    /// <summary>Ringing time in seconds.</summary>
    public required int Timeout { get; init; }

    /// <summary>Opaque inviter data.</summary>
    public string? ExtendedData { get; init; }

    /// <summary>Room of the call.</summary>
    public string? RoomId { get; init; }

    /// <summary>Offline push content.</summary>
    public InvitationPushConfig? PushConfig { get; init; }

    /// <summary>Invitees already left out by validation.</summary>
    public IReadOnlyList<InviteeError> ErrorInvitees { get; init; } = [];

    /// <summary>Leave out invitees that are in an ongoing call.</summary>
    public bool RefuseBusyInvitees { get; init; }

    /// <summary>The inviter's idempotency key, if any.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Hash of the request body, compared on replays.</summary>
    public string? RequestFingerprint { get; init; }
}

/// <summary>Outcome of <see cref="IInvitationStore.CreateAsync"/>.</summary>
public sealed record InvitationCreateResult
{
    /// <summary>The answer to return to the caller (the stored one on a replay); null on error.</summary>
    public SendInvitationResult? Result { get; init; }

    /// <summary>The created invitation; null on a replay or error.</summary>
    public Invitation? Invitation { get; init; }

    /// <summary>Events to publish (only when created).</summary>
    public IReadOnlyList<InvitationEvent> Events { get; init; } = [];

    /// <summary>The error, if nothing was created or replayed.</summary>
    public InvitationError? Error { get; init; }
}

/// <summary>Outcome of <see cref="InvitationRules.Apply"/> and <see cref="IInvitationStore.UpdateAsync"/>.</summary>
public sealed record InvitationUpdateResult
{
    /// <summary>The invitation after the operation; null when not found.</summary>
    public Invitation? Invitation { get; init; }

    /// <summary>Whether a new version must be (or was) committed. Can be true together with an <see cref="Error"/>:
    /// an operation arriving after the deadline commits the timeout, then fails with <c>invitation_timed_out</c>.</summary>
    public bool Changed { get; init; }

    /// <summary>Events of the committed change.</summary>
    public IReadOnlyList<InvitationEvent> Events { get; init; } = [];

    /// <summary>The command's error, if it failed.</summary>
    public InvitationError? Error { get; init; }
}
