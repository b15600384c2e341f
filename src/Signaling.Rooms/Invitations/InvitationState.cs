using System.Text.Json.Serialization;

namespace Signaling.Rooms.Invitations;

/// <summary>State of a whole invitation; serialised as a lowercase string.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InvitationState>))]
public enum InvitationState
{
    /// <summary>Waiting for the invitees to answer.</summary>
    [JsonStringEnumMemberName("ringing")] Ringing,

    /// <summary>One invitee accepted; the others were cancelled.</summary>
    [JsonStringEnumMemberName("accepted")] Accepted,

    /// <summary>Every invitee refused.</summary>
    [JsonStringEnumMemberName("rejected")] Rejected,

    /// <summary>The inviter cancelled, or nobody is left to answer without everyone having refused.</summary>
    [JsonStringEnumMemberName("cancelled")] Cancelled,

    /// <summary>The deadline passed while ringing.</summary>
    [JsonStringEnumMemberName("timeout")] Timeout,
}

/// <summary>State of one invitee's entry; serialised as a lowercase string.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InviteeState>))]
public enum InviteeState
{
    /// <summary>Sent, not yet delivered to any of the invitee's connections.</summary>
    [JsonStringEnumMemberName("inviting")] Inviting,

    /// <summary>Delivered to at least one of the invitee's connections.</summary>
    [JsonStringEnumMemberName("received")] Received,

    /// <summary>The invitee accepted.</summary>
    [JsonStringEnumMemberName("accepted")] Accepted,

    /// <summary>The invitee refused.</summary>
    [JsonStringEnumMemberName("rejected")] Rejected,

    /// <summary>The inviter cancelled, or another invitee accepted first.</summary>
    [JsonStringEnumMemberName("cancelled")] Cancelled,

    /// <summary>The deadline passed before the invitee answered.</summary>
    [JsonStringEnumMemberName("timeout")] Timeout,
}

/// <summary>The side of an invitation a user is on.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InvitationRole>))]
public enum InvitationRole
{
    /// <summary>The user is an invitee.</summary>
    [JsonStringEnumMemberName("incoming")] Incoming,

    /// <summary>The user is the inviter.</summary>
    [JsonStringEnumMemberName("outgoing")] Outgoing,
}

/// <summary>State filter for <see cref="IInvitationService.ListForUserAsync"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InvitationStateFilter>))]
public enum InvitationStateFilter
{
    /// <summary>Ringing and, for incoming, the user's own entry still inviting or received.</summary>
    [JsonStringEnumMemberName("pending")] Pending,

    /// <summary>The invitation is ringing, whatever the user's own entry says.</summary>
    [JsonStringEnumMemberName("ringing")] Ringing,

    /// <summary>The invitation was accepted.</summary>
    [JsonStringEnumMemberName("accepted")] Accepted,

    /// <summary>The invitation was rejected.</summary>
    [JsonStringEnumMemberName("rejected")] Rejected,

    /// <summary>The invitation was cancelled.</summary>
    [JsonStringEnumMemberName("cancelled")] Cancelled,

    /// <summary>The invitation timed out.</summary>
    [JsonStringEnumMemberName("timeout")] Timeout,
}

/// <summary>Helpers over the state enums.</summary>
public static class InvitationStateExtensions
{
    /// <summary>Whether the invitee has not answered yet (<c>inviting</c> or <c>received</c>).</summary>
    public static bool IsPending(this InviteeState state) => state is InviteeState.Inviting or InviteeState.Received;

    /// <summary>The lowercase wire name of the state.</summary>
    public static string ToWireString(this InvitationState state) => state switch
    {
        InvitationState.Ringing => "ringing",
        InvitationState.Accepted => "accepted",
        InvitationState.Rejected => "rejected",
        InvitationState.Cancelled => "cancelled",
        InvitationState.Timeout => "timeout",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>The lowercase wire name of the state.</summary>
    public static string ToWireString(this InviteeState state) => state switch
    {
        InviteeState.Inviting => "inviting",
        InviteeState.Received => "received",
        InviteeState.Accepted => "accepted",
        InviteeState.Rejected => "rejected",
        InviteeState.Cancelled => "cancelled",
        InviteeState.Timeout => "timeout",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };
}
