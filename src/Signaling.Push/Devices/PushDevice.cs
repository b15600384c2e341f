using System.Text.Json.Serialization;

namespace Signaling.Push.Devices;

/// <summary>The mobile platform of a registered device.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DevicePlatform>))]
public enum DevicePlatform
{
    /// <summary>iOS: rung with an APNs VoIP push, cancelled with a regular APNs push.</summary>
    [JsonStringEnumMemberName("ios")]
    Ios,

    /// <summary>Android: rung and cancelled with FCM data messages.</summary>
    [JsonStringEnumMemberName("android")]
    Android,
}

/// <summary>Which of a device's push tokens is meant.</summary>
public enum PushTokenKind
{
    /// <summary>The PushKit VoIP token (<see cref="PushDevice.VoipToken"/>).</summary>
    Voip,

    /// <summary>The regular APNs token (<see cref="PushDevice.ApnsToken"/>).</summary>
    Apns,

    /// <summary>The FCM registration token (<see cref="PushDevice.FcmToken"/>).</summary>
    Fcm,
}

/// <summary>A device registered for call pushes.</summary>
/// <param name="UserId">The user the device belongs to.</param>
/// <param name="DeviceId">The device id, unique per user.</param>
/// <param name="Platform"><c>ios</c> or <c>android</c>.</param>
/// <param name="VoipToken">iOS PushKit VoIP token (hex), used to ring.</param>
/// <param name="ApnsToken">iOS regular APNs token (hex), used to cancel.</param>
/// <param name="FcmToken">Android FCM registration token.</param>
/// <param name="BundleId">iOS bundle id; the APNs topic base. Null uses <c>Push:Apns:BundleId</c>.</param>
/// <param name="Sandbox">True for a development build: its pushes go to the APNs sandbox. Null uses <c>Push:Apns:Environment</c>.</param>
public sealed record PushDevice(
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("platform")] DevicePlatform Platform,
    [property: JsonPropertyName("voipToken")] string? VoipToken = null,
    [property: JsonPropertyName("apnsToken")] string? ApnsToken = null,
    [property: JsonPropertyName("fcmToken")] string? FcmToken = null,
    [property: JsonPropertyName("bundleId")] string? BundleId = null,
    [property: JsonPropertyName("sandbox")] bool? Sandbox = null)
{
    /// <summary>The token of the given kind, or null.</summary>
    public string? GetToken(PushTokenKind kind) => kind switch
    {
        PushTokenKind.Voip => VoipToken,
        PushTokenKind.Apns => ApnsToken,
        PushTokenKind.Fcm => FcmToken,
        _ => null,
    };

    /// <summary>A copy without the token of the given kind.</summary>
    public PushDevice WithoutToken(PushTokenKind kind) => kind switch
    {
        PushTokenKind.Voip => this with { VoipToken = null },
        PushTokenKind.Apns => this with { ApnsToken = null },
        PushTokenKind.Fcm => this with { FcmToken = null },
        _ => this,
    };
}
