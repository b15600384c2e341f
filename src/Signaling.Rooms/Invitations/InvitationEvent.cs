using System.Text.Json.Serialization;

namespace Signaling.Rooms.Invitations;

/// <summary>The event names of <see cref="InvitationEvent.Name"/>.</summary>
public static class InvitationEventNames
{
    /// <summary>To each invitee when an invitation is sent.</summary>
    public const string IncomingInvitationReceived = "incomingInvitationReceived";

    /// <summary>To invitees whose ringing must stop; see <see cref="InvitationCancelReasons"/>.</summary>
    public const string IncomingInvitationCancelled = "incomingInvitationCancelled";

    /// <summary>To each invitee still pending at the deadline.</summary>
    public const string IncomingInvitationTimeout = "incomingInvitationTimeout";

    /// <summary>To the inviter when an invitee accepts.</summary>
    public const string OutgoingInvitationAccepted = "outgoingInvitationAccepted";

    /// <summary>To the inviter when an invitee refuses (one event per refusing invitee).</summary>
    public const string OutgoingInvitationRejected = "outgoingInvitationRejected";

    /// <summary>To the inviter once when the invitation times out.</summary>
    public const string OutgoingInvitationTimeout = "outgoingInvitationTimeout";
}

/// <summary>Values of <see cref="InvitationEvent.Reason"/> on <c>incomingInvitationCancelled</c>.</summary>
public static class InvitationCancelReasons
{
    /// <summary>The inviter cancelled.</summary>
    public const string CallerCancelled = "callerCancelled";

    /// <summary>Another device of the same invitee accepted.</summary>
    public const string AnsweredElsewhere = "answeredElsewhere";

    /// <summary>Another device of the same invitee refused.</summary>
    public const string DeclinedElsewhere = "declinedElsewhere";

    /// <summary>Another invitee accepted first; also the entry's <see cref="InviteeEntry.Reason"/>.</summary>
    public const string AnsweredByOther = "answeredByOther";
}

/// <summary>
/// A domain event produced by a committed transition, addressed to one user's connections
/// (all of them, or all but <see cref="ExceptDeviceId"/>). Routing properties are not serialised.
/// </summary>
public sealed record InvitationEvent
{
    /// <summary>User whose connections (and pushes) should get this event; always set.</summary>
    /// <remarks>Not <c>required</c> in C# because System.Text.Json rejects required members it ignores.</remarks>
    [JsonIgnore]
    public string Recipient { get; init; } = string.Empty;

    /// <summary>When set, skip the recipient's connection(s) of this device.</summary>
    [JsonIgnore]
    public string? ExceptDeviceId { get; init; }

    /// <summary>One of <see cref="InvitationEventNames"/>.</summary>
    public required string Name { get; init; }

    /// <summary>The invitation.</summary>
    public required string InvitationId { get; init; }

    /// <summary>The invitation's version after the transition.</summary>
    public required long Version { get; init; }

    /// <summary>The invitation's state after the transition.</summary>
    public required InvitationState State { get; init; }

    /// <summary>The caller.</summary>
    public required string Inviter { get; init; }

    /// <summary>The invitee concerned: the one who acted for outgoing events, the recipient for incoming ones.</summary>
    public string? Invitee { get; init; }

    /// <summary>Device that accepted or refused, when known.</summary>
    public string? DeviceId { get; init; }

    /// <summary>For <c>answeredByOther</c>: the invitee who accepted.</summary>
    public string? AnsweredUserId { get; init; }

    /// <summary>Cancel reason (<see cref="InvitationCancelReasons"/>) or refusal reason.</summary>
    public string? Reason { get; init; }

    /// <summary>Data of the action that caused the event (send, accept, refuse or cancel).</summary>
    public string? ExtendedData { get; init; }

    /// <summary>On <c>incomingInvitationReceived</c>: all invitees; on <c>outgoingInvitationTimeout</c>: those who timed out.</summary>
    public IReadOnlyList<string>? Invitees { get; init; }

    /// <summary>On <c>incomingInvitationReceived</c>: ringing time in seconds.</summary>
    public int? Timeout { get; init; }

    /// <summary>On <c>incomingInvitationReceived</c>: creation time.</summary>
    public DateTimeOffset? CreateTime { get; init; }

    /// <summary>The invitation's deadline.</summary>
    public required DateTimeOffset Deadline { get; init; }

    /// <summary>On <c>incomingInvitationReceived</c> and <c>outgoingInvitationAccepted</c>: the call's room.</summary>
    public string? RoomId { get; init; }

    /// <summary>On <c>incomingInvitationReceived</c>: offline push content.</summary>
    public InvitationPushConfig? PushConfig { get; init; }
}

/// <summary>Delivers invitation events to users' live connections and push channels.</summary>
public interface IInvitationEventSink
{
    /// <summary>Delivers <paramref name="invitationEvent"/> to <see cref="InvitationEvent.Recipient"/>.</summary>
    /// <remarks>Called after the transition is committed, in transition order; failures are logged and not retried.</remarks>
    Task PublishAsync(InvitationEvent invitationEvent, CancellationToken cancellationToken);
}

/// <summary>The default <see cref="IInvitationEventSink"/>: drops every event.</summary>
public sealed class NullInvitationEventSink : IInvitationEventSink
{
    /// <summary>The shared instance.</summary>
    public static NullInvitationEventSink Instance { get; } = new();

    /// <inheritdoc/>
    public Task PublishAsync(InvitationEvent invitationEvent, CancellationToken cancellationToken) => Task.CompletedTask;
}
