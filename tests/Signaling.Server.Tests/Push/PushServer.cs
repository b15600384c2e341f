using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Signaling.Push;
using Signaling.Server.Tests.TestSupport;
using Signaling.TestKit.PushStandIns;

namespace Signaling.Server.Tests.Push;

/// <summary>
/// The real server in Development without auth credentials (users name themselves with <c>X-User-Id</c> and the
/// Socket.IO <c>auth.userId</c>) on Kestrel, its APNs, FCM and OAuth clients pointed at the TestKit stand-ins and, for
/// those clients only, trusting the stand-ins' CA.
/// </summary>
public sealed class PushServerFactory(IReadOnlyDictionary<string, string?> settings) : SignalingFactory("Development", settings, kestrel: true)
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
            PushStandIns.TrustStandInAuthority(services, PushHttpClientNames.Apns, PushHttpClientNames.Fcm, PushHttpClientNames.FcmOAuth));
    }
}

/// <summary>The stand-ins and a server with APNs and FCM credentials for them, shared by a test class.</summary>
public sealed class PushServerFixture : IAsyncLifetime
{
    public PushStandIns StandIns { get; private set; } = null!;

    public PushServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        StandIns = await PushStandIns.StartAsync();
        Server = new PushServer(StandIns, new PushServerFactory(StandIns.Settings()));
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.Factory.DisposeAsync();
        }

        if (StandIns is not null)
        {
            await StandIns.DisposeAsync();
        }
    }
}

/// <summary>An iOS device as registered: PushKit token (rings) and regular token (cancels).</summary>
public sealed record IosDevice(string UserId, string DeviceId, string VoipToken, string ApnsToken, string BundleId);

/// <summary>An Android device as registered.</summary>
public sealed record AndroidDevice(string UserId, string DeviceId, string FcmToken);

/// <summary>REST calls and waits against a <see cref="PushServerFactory"/> and its stand-ins.</summary>
public sealed class PushServer(PushStandIns standIns, PushServerFactory factory)
{
    public PushStandIns StandIns { get; } = standIns;

    public PushServerFactory Factory { get; } = factory;

    public HttpClient As(string userId) => Factory.DevelopmentUser(userId);

    /// <summary>PUTs an iOS device; its tokens are valid at the APNs stand-in for the bundle id (or the default one).</summary>
    public async Task<IosDevice> RegisterIosAsync(string userId, string deviceId, string? bundleId = null)
    {
        var device = new IosDevice(userId, deviceId, PushStandIns.NewApnsToken(), PushStandIns.NewApnsToken(), bundleId ?? PushStandIns.BundleId);
        StandIns.Apns.RegisterToken(device.VoipToken, device.BundleId + ".voip");
        StandIns.Apns.RegisterToken(device.ApnsToken, device.BundleId);
        await PutDeviceAsync(userId, deviceId, new { platform = "ios", voipToken = device.VoipToken, apnsToken = device.ApnsToken, bundleId });
        return device;
    }

    /// <summary>PUTs an Android device whose token the FCM stand-in knows.</summary>
    public async Task<AndroidDevice> RegisterAndroidAsync(string userId, string deviceId)
    {
        var device = new AndroidDevice(userId, deviceId, PushStandIns.NewFcmToken());
        StandIns.Fcm.RegisterToken(device.FcmToken);
        await PutDeviceAsync(userId, deviceId, new { platform = "android", fcmToken = device.FcmToken });
        return device;
    }

    /// <summary>GET /v1/users/{userId}/devices.</summary>
    public async Task<JsonElement[]> DevicesAsync(string userId)
    {
        using var client = As(userId);
        using var response = await client.Get($"/v1/users/{userId}/devices");
        return [.. (await response.Expect(HttpStatusCode.OK)).EnumerateArray()];
    }

    /// <summary>The <c>pushes</c> of GET /v1/invitations/{id}, read as <paramref name="userId"/>.</summary>
    public async Task<JsonElement[]> PushesAsync(string userId, string invitationId)
    {
        using var client = As(userId);
        using var response = await client.Get($"/v1/invitations/{invitationId}");
        return [.. (await response.Expect(HttpStatusCode.OK)).GetProperty("pushes").EnumerateArray()];
    }

    /// <summary>Waits (bounded) until the invitation lists an outcome of <paramref name="kind"/> for the device in a final state, and returns it.</summary>
    public async Task<JsonElement> OutcomeAsync(string viewer, string invitationId, string userId, string deviceId, string kind)
    {
        JsonElement found = default;
        await TestTimeouts.WaitUntilAsync(
            async () =>
            {
                found = (await PushesAsync(viewer, invitationId)).FirstOrDefault(p =>
                    p.Str("userId") == userId && p.Str("deviceId") == deviceId && p.Str("kind") == kind && p.Str("status") != "pending");
                return found.ValueKind == JsonValueKind.Object;
            },
            $"a final {kind} outcome for {userId}/{deviceId}");
        return found;
    }

    private async Task PutDeviceAsync(string userId, string deviceId, object body)
    {
        using var client = As(userId);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/users/{userId}/devices/{deviceId}") { Content = System.Net.Http.Json.JsonContent.Create(body) };
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken).WithTimeout();
        await response.Expect(HttpStatusCode.OK);
    }
}

/// <summary>Bounded waits on the stand-ins.</summary>
public static class StandInWaits
{
    /// <summary>Waits until <paramref name="condition"/> holds (polled; at most <see cref="TestTimeouts.Default"/>).</summary>
    public static Task Until(Func<bool> condition, string what) => TestTimeouts.WaitUntilAsync(() => Task.FromResult(condition()), what);
}
