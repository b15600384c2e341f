namespace Signaling.Rooms.Invitations;

/// <summary>
/// Call invitations: each method is one atomic transition that bumps <see cref="Invitation.Version"/> and publishes its
/// events to <see cref="IInvitationEventSink"/> after the commit. Expected failures come back as
/// <see cref="InvitationError"/>, never as exceptions. User ids come from authentication, not from request bodies.
/// </summary>
public interface IInvitationService
{
    /// <summary>Creates an invitation ringing every usable invitee.</summary>
    Task<InvitationResult<SendInvitationResult>> SendAsync(SendInvitationRequest request, CancellationToken cancellationToken = default);

    /// <summary>The inviter cancels the given pending invitees, or all of them.</summary>
    Task<InvitationResult<Invitation>> CancelAsync(
        string invitationId, string inviter, IReadOnlyList<string>? invitees = null, string? extendedData = null, CancellationToken cancellationToken = default);

    /// <summary>An invitee accepts; the first accept wins and the other pending invitees are cancelled.</summary>
    Task<InvitationResult<Invitation>> AcceptAsync(
        string invitationId, string invitee, string? deviceId = null, string? extendedData = null, CancellationToken cancellationToken = default);

    /// <summary>An invitee refuses with <paramref name="reason"/> (default <c>decline</c>).</summary>
    Task<InvitationResult<Invitation>> RefuseAsync(
        string invitationId, string invitee, string? deviceId = null, string? reason = null, string? extendedData = null, CancellationToken cancellationToken = default);

    /// <summary>One of the invitee's connections got the invitation: <c>inviting</c> becomes <c>received</c>; idempotent.</summary>
    Task<InvitationResult<Invitation>> MarkReceivedAsync(string invitationId, string userId, CancellationToken cancellationToken = default);

    /// <summary>The inviter or the accepting invitee ends an accepted call, so neither counts as busy any more.</summary>
    Task<InvitationResult<Invitation>> EndCallAsync(string invitationId, string userId, CancellationToken cancellationToken = default);

    /// <summary>The invitation as of now (timed out once its deadline has passed).</summary>
    Task<InvitationResult<Invitation>> GetAsync(string invitationId, CancellationToken cancellationToken = default);

    /// <summary>The user's invitations in <paramref name="role"/>, newest first, optionally filtered by state.</summary>
    Task<IReadOnlyList<Invitation>> ListForUserAsync(
        string userId, InvitationRole role, InvitationStateFilter? state = null, CancellationToken cancellationToken = default);
}
