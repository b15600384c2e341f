using System.Text.Json.Serialization;

namespace Signaling.Rooms.Invitations;

/// <summary>An immutable snapshot of a call invitation at one <see cref="Version"/>.</summary>
public sealed record Invitation
{
    /// <summary>Unguessable id: 128 random bits, base64url without padding (22 characters).</summary>
    public required string InvitationId { get; init; }

    /// <summary>User id of the caller.</summary>
    public required string Inviter { get; init; }

    /// <summary>One entry per invitee, in the order they were invited.</summary>
    public required IReadOnlyList<InviteeEntry> Invitees { get; init; }

    /// <summary>Ringing time in seconds.</summary>
    public required int Timeout { get; init; }

    /// <summary>Opaque data from the inviter, at most <see cref="InvitationOptions.MaxExtendedDataLength"/> UTF-8 bytes.</summary>
    public string? ExtendedData { get; init; }

    /// <summary>Room the call takes place in, if the inviter named one.</summary>
    public string? RoomId { get; init; }

    /// <summary>What to show in an offline push.</summary>
    public InvitationPushConfig? PushConfig { get; init; }

    /// <summary>When the invitation was created (store clock).</summary>
    public required DateTimeOffset CreateTime { get; init; }

    /// <summary><see cref="CreateTime"/> plus <see cref="Timeout"/>; pending invitees time out at this instant.</summary>
    public required DateTimeOffset Deadline { get; init; }

    /// <summary>Current state.</summary>
    public required InvitationState State { get; init; }

    /// <summary>Starts at 1 and grows by one with every transition.</summary>
    public required long Version { get; init; }

    /// <summary>When the invitation stopped ringing, if it has.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>For an accepted call, until when the inviter and the accepting invitee count as busy.</summary>
    public DateTimeOffset? BusyUntil { get; init; }

    /// <summary>The entry of the invitee who accepted, if any.</summary>
    [JsonIgnore]
    public InviteeEntry? AcceptedInvitee => Invitees.FirstOrDefault(static e => e.State == InviteeState.Accepted);

    /// <summary>The entry of <paramref name="userId"/>, or null when they are not invited.</summary>
    public InviteeEntry? FindInvitee(string userId) => Invitees.FirstOrDefault(e => e.UserId == userId);

    /// <summary>Value equality, comparing <see cref="Invitees"/> element by element.</summary>
    public bool Equals(Invitation? other) =>
        other is not null
        && InvitationId == other.InvitationId
        && Inviter == other.Inviter
        && Invitees.SequenceEqual(other.Invitees)
        && Timeout == other.Timeout
        && ExtendedData == other.ExtendedData
        && RoomId == other.RoomId
        && PushConfig == other.PushConfig
        && CreateTime == other.CreateTime
        && Deadline == other.Deadline
        && State == other.State
        && Version == other.Version
        && EndTime == other.EndTime
        && BusyUntil == other.BusyUntil;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(InvitationId, Version, State);
}

/// <summary>One invitee's part of an <see cref="Invitation"/>.</summary>
public sealed record InviteeEntry
{
    /// <summary>The invitee's user id.</summary>
    public required string UserId { get; init; }

    /// <summary>Where this invitee stands.</summary>
    public required InviteeState State { get; init; }

    /// <summary>Device id that accepted or refused, when the client named one.</summary>
    public string? AnsweredBy { get; init; }

    /// <summary>
    /// Why the entry ended: the refusal reason (<c>decline</c>, <c>busy</c> or the caller's own string),
    /// <c>callerCancelled</c> or <c>answeredByOther</c>; null while pending, when accepted and on timeout.
    /// </summary>
    public string? Reason { get; init; }

    /// <summary>Data attached to the last transition of this entry (the invitee's answer or the inviter's cancel).</summary>
    public string? ExtendedData { get; init; }

    /// <summary>When this entry last changed.</summary>
    public required DateTimeOffset UpdateTime { get; init; }
}

/// <summary>Offline push content for an invitation.</summary>
/// <param name="Title">Notification title.</param>
/// <param name="Content">Notification body.</param>
/// <param name="Payload">Opaque data for the app.</param>
public sealed record InvitationPushConfig(string? Title, string? Content, string? Payload);
