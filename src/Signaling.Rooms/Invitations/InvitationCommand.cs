namespace Signaling.Rooms.Invitations;

/// <summary>A transition request applied atomically by <see cref="IInvitationStore.UpdateAsync"/>.</summary>
/// <remarks>The set is closed: stores may switch over the subclasses below.</remarks>
public abstract record InvitationCommand
{
    private protected InvitationCommand()
    {
    }
}

/// <summary>The inviter cancels some or all pending invitees.</summary>
/// <param name="Inviter">The caller.</param>
/// <param name="Invitees">Invitees to cancel; null or empty means every pending one.</param>
/// <param name="ExtendedData">Data for the cancelled invitees.</param>
public sealed record CancelInvitationCommand(string Inviter, IReadOnlyList<string>? Invitees, string? ExtendedData) : InvitationCommand;

/// <summary>An invitee accepts.</summary>
/// <param name="Invitee">The caller.</param>
/// <param name="DeviceId">The accepting device, if known.</param>
/// <param name="ExtendedData">Data for the inviter.</param>
/// <param name="BusyWindow">How long the call counts as ongoing unless ended earlier.</param>
public sealed record AcceptInvitationCommand(string Invitee, string? DeviceId, string? ExtendedData, TimeSpan BusyWindow) : InvitationCommand;

/// <summary>An invitee refuses.</summary>
/// <param name="Invitee">The caller.</param>
/// <param name="DeviceId">The refusing device, if known.</param>
/// <param name="Reason">Refusal reason.</param>
/// <param name="ExtendedData">Data for the inviter.</param>
public sealed record RefuseInvitationCommand(string Invitee, string? DeviceId, string Reason, string? ExtendedData) : InvitationCommand;

/// <summary>One of the invitee's connections got the invitation.</summary>
/// <param name="Invitee">The invitee.</param>
public sealed record MarkReceivedCommand(string Invitee) : InvitationCommand;

/// <summary>A participant of an accepted call ends it, so nobody counts as busy any more.</summary>
/// <param name="UserId">The inviter or the accepting invitee.</param>
public sealed record EndCallCommand(string UserId) : InvitationCommand;

/// <summary>Times the invitation out if its deadline has passed (used by the sweeper).</summary>
public sealed record ExpireInvitationCommand : InvitationCommand;
