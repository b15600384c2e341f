using System.Text.Json.Serialization;

namespace Signaling.Push;

/// <summary>
/// The record of push outcomes, one per invitation, device (user id and device id) and <see cref="PushKind"/>. Claiming a key is atomic, which
/// gives "at most one ring per device per invitation" across retries (and across nodes with a shared implementation).
/// </summary>
public interface IPushLedger
{
    /// <summary>
    /// Stores <paramref name="pending"/> if no outcome exists yet for its invitation, device and kind, and returns true;
    /// returns false (and stores nothing) when one exists. The invitation's records may be dropped after <paramref name="expiresAt"/>.
    /// </summary>
    Task<bool> TryClaimAsync(PushOutcome pending, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Replaces the stored outcome for the same invitation, device and kind (after a successful claim).</summary>
    Task RecordAsync(PushOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>All outcomes stored for the invitation, ordered by user id, device id, then kind; empty when none.</summary>
    Task<IReadOnlyList<PushOutcome>> GetOutcomesAsync(string invitationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Notes that the invitation's ringing was cancelled (the first note is kept), so that a ring still on its way
    /// when the cancel looked for rung devices (on another node) is followed by a cancel once it is out. The note may be
    /// dropped with the invitation's records, not before <paramref name="expiresAt"/>.
    /// </summary>
    Task NoteCancelAsync(CancelNote note, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>The invitation's cancel note, or null when its ringing was not cancelled.</summary>
    Task<CancelNote?> GetCancelNoteAsync(string invitationId, CancellationToken cancellationToken = default);
}

/// <summary>Why an invitation's ringing was cancelled, with the texts its cancel pushes carry.</summary>
/// <param name="InvitationId">The invitation.</param>
/// <param name="Reason">Why ringing stopped.</param>
/// <param name="PushConfig">The cancel's optional texts.</param>
public sealed record CancelNote(
    [property: JsonPropertyName("invitationId")] string InvitationId,
    [property: JsonPropertyName("reason")] CancelReason Reason,
    [property: JsonPropertyName("pushConfig")] PushConfig? PushConfig);
