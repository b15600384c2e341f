using System.Text.Json.Serialization;
using Signaling.Push.Devices;

namespace Signaling.Push;

/// <summary>The inviter's push texts, passed through to the devices.</summary>
/// <param name="Title">Notification title.</param>
/// <param name="Content">Notification body.</param>
/// <param name="Payload">Opaque app data.</param>
public sealed record PushConfig(
    [property: JsonPropertyName("title")] string? Title = null,
    [property: JsonPropertyName("content")] string? Content = null,
    [property: JsonPropertyName("payload")] string? Payload = null);

/// <summary>Why a ring is being cancelled.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CancelReason>))]
public enum CancelReason
{
    /// <summary>The inviter cancelled.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>Nobody answered before the deadline.</summary>
    [JsonStringEnumMemberName("timeout")]
    Timeout,

    /// <summary>The invitee answered (accepted or declined) on another device.</summary>
    [JsonStringEnumMemberName("answeredElsewhere")]
    AnsweredElsewhere,
}

/// <summary>Ring the given devices for an invitation.</summary>
public sealed record RingRequest
{
    /// <summary>The invitation id; also the APNs collapse id and FCM collapse key.</summary>
    public required string InvitationId { get; init; }

    /// <summary>The inviting user's id.</summary>
    public required string Inviter { get; init; }

    /// <summary>The invitation's opaque extended data.</summary>
    public string? ExtendedData { get; init; }

    /// <summary>When ringing stops; the APNs expiration and the FCM time to live.</summary>
    public required DateTimeOffset Deadline { get; init; }

    /// <summary>The inviter's push texts.</summary>
    public PushConfig? PushConfig { get; init; }

    /// <summary>The devices to ring (offline devices of the invitees).</summary>
    public required IReadOnlyList<PushDevice> Devices { get; init; }
}

/// <summary>Stop the ringing on the devices that were rung for an invitation.</summary>
public sealed record CancelRequest
{
    /// <summary>The invitation id.</summary>
    public required string InvitationId { get; init; }

    /// <summary>Why ringing stops.</summary>
    public required CancelReason Reason { get; init; }

    /// <summary>
    /// Optional texts: with a title or content, iOS gets an alert push (e.g. "Missed call"); without, a silent
    /// background push.
    /// </summary>
    public PushConfig? PushConfig { get; init; }

    /// <summary>Candidate devices; only those with a sent ring for this invitation get a cancel.</summary>
    public required IReadOnlyList<PushDevice> Devices { get; init; }
}
