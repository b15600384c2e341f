using System.Text.Json.Serialization;
using Signaling.Push.Devices;

namespace Signaling.Push;

/// <summary>What a push was for.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PushKind>))]
public enum PushKind
{
    /// <summary>The ring: a VoIP push on iOS, a data message on Android.</summary>
    [JsonStringEnumMemberName("ring")]
    Ring,

    /// <summary>The cancel sent after cancel, timeout or answer elsewhere.</summary>
    [JsonStringEnumMemberName("cancel")]
    Cancel,
}

/// <summary>Where a push to one device stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PushStatus>))]
public enum PushStatus
{
    /// <summary>Claimed and being sent.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>Accepted by APNs or FCM.</summary>
    [JsonStringEnumMemberName("sent")]
    Sent,

    /// <summary>Not accepted; <see cref="PushOutcome.Reason"/> says why.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>The service called the token dead and it was removed from the device store.</summary>
    [JsonStringEnumMemberName("tokenRemoved")]
    TokenRemoved,

    /// <summary>Not attempted (platform off, no token, deadline passed, invitation cancelled, shutdown).</summary>
    [JsonStringEnumMemberName("skipped")]
    Skipped,

    /// <summary>Not sent because this device already had this push for this invitation (never stored in the ledger).</summary>
    [JsonStringEnumMemberName("duplicate")]
    Duplicate,
}

/// <summary>The outcome of one push (ring or cancel) to one device for one invitation.</summary>
/// <param name="InvitationId">The invitation.</param>
/// <param name="UserId">The device's user.</param>
/// <param name="DeviceId">The device.</param>
/// <param name="Platform">The device's platform.</param>
/// <param name="Kind">Ring or cancel.</param>
/// <param name="Status">The outcome.</param>
/// <param name="Reason">Why it failed or was skipped, e.g. <c>Unregistered</c>, <c>PayloadTooLarge</c>, <c>ApnsDisabled</c>.</param>
/// <param name="StatusCode">The last HTTP status from the push service, if any.</param>
/// <param name="Attempts">HTTP attempts made.</param>
/// <param name="Timestamp">When this outcome was recorded.</param>
public sealed record PushOutcome(
    [property: JsonPropertyName("invitationId")] string InvitationId,
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("platform")] DevicePlatform Platform,
    [property: JsonPropertyName("kind")] PushKind Kind,
    [property: JsonPropertyName("status")] PushStatus Status,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("statusCode")] int? StatusCode,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp);
