using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Signaling.Push.Devices;

namespace Signaling.Push.Tests.Infrastructure;

/// <summary>Settings for one <see cref="PushHarness"/>.</summary>
public sealed class HarnessOptions
{
    public bool Apns { get; set; } = true;

    public bool Fcm { get; set; } = true;

    /// <summary>Extra or overriding configuration keys (null values remove a key).</summary>
    public Dictionary<string, string?> Settings { get; } = [];
}

/// <summary>
/// A host with <c>AddPush()</c> wired to in-process APNs, FCM and OAuth stand-ins over TLS, credentials generated
/// here, and a hand-moved clock. The clients trust the test CA through a test-only handler configuration.
/// </summary>
public sealed class PushHarness : IAsyncDisposable
{
    public const string KeyId = "ABC123DEFG";
    public const string TeamId = "TEAM123456";
    public const string BundleId = "com.example.signaling";
    public const string ProjectId = "signaling-test";
    public const string ClientEmail = "push@signaling-test.iam.gserviceaccount.com";
    public const string ServiceAccountKeyId = "0123456789abcdef";

    private readonly List<IAsyncDisposable> _servers = [];

    private PushHarness()
    {
    }

    public ManualTimeProvider Time { get; } = new();

    public TestLogSink Logs { get; } = new();

    public ECDsa ApnsKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public RSA ServiceAccountKey { get; } = RSA.Create(2048);

    public ApnsStandIn Apns { get; private set; } = null!;

    public OAuthStandIn OAuth { get; private set; } = null!;

    public FcmStandIn Fcm { get; private set; } = null!;

    public IHost Host { get; private set; } = null!;

    public IPushDispatcher Dispatcher => Host.Services.GetRequiredService<IPushDispatcher>();

    public IDeviceStore Devices => Host.Services.GetRequiredService<IDeviceStore>();

    public IPushLedger Ledger => Host.Services.GetRequiredService<IPushLedger>();

    public IServiceProvider Services => Host.Services;

    /// <summary>The configuration the host got, for tests that start another host with it.</summary>
    public Dictionary<string, string?> Configuration { get; } = [];

    /// <param name="configure">Settings for the host.</param>
    /// <param name="beforeHost">Runs once the stand-ins and keys exist, before the host is built (e.g. to write key files).</param>
    public static async Task<PushHarness> StartAsync(Action<HarnessOptions>? configure = null, Action<PushHarness>? beforeHost = null)
    {
        var options = new HarnessOptions();
        configure?.Invoke(options);
        var harness = new PushHarness();
        await harness.StartServersAsync();
        beforeHost?.Invoke(harness);
        harness.Configure(options);
        harness.Host = BuildHost(harness.Configuration, harness.Time, harness.Logs);
        await harness.Host.StartAsync().Bounded();
        return harness;
    }

    /// <summary>A host with <c>AddPush()</c>, the given configuration, the clock and the test CA; not started.</summary>
    public static IHost BuildHost(IDictionary<string, string?> configuration, TimeProvider time, ILoggerProvider? logs = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddSingleton(time);
        builder.Services.AddPush();
        foreach (var name in new[] { PushHttpClientNames.Apns, PushHttpClientNames.Fcm, PushHttpClientNames.FcmOAuth })
        {
            builder.Services.AddHttpClient(name).ConfigurePrimaryHttpMessageHandler((handler, _) =>
                TestCertificates.TrustTestAuthority((SocketsHttpHandler)handler));
        }

        return builder.Build();
    }

    public string ServiceAccountJson(string? tokenUri = null, string? projectId = ProjectId) => JsonSerializer.Serialize(new Dictionary<string, string?>
    {
        ["type"] = "service_account",
        ["project_id"] = projectId,
        ["private_key_id"] = ServiceAccountKeyId,
        ["private_key"] = ServiceAccountKey.ExportPkcs8PrivateKeyPem() + "\n",
        ["client_email"] = ClientEmail,
        ["client_id"] = "1234567890",
        ["token_uri"] = tokenUri ?? OAuth.TokenUri,
    });

    /// <summary>Registers an iOS device with the store and its tokens with the APNs stand-in.</summary>
    public async Task<PushDevice> AddIosDeviceAsync(string userId, string deviceId, bool registerTokens = true)
    {
        var device = new PushDevice(userId, deviceId, DevicePlatform.Ios, VoipToken: HexToken(), ApnsToken: HexToken(), BundleId: BundleId);
        if (registerTokens)
        {
            Apns.RegisterToken(device.VoipToken!, BundleId + ".voip");
            Apns.RegisterToken(device.ApnsToken!, BundleId);
        }

        await Devices.UpsertAsync(device, TestContext.Current.CancellationToken).Bounded();
        return device;
    }

    /// <summary>Registers an Android device with the store and its token with the FCM stand-in.</summary>
    public async Task<PushDevice> AddAndroidDeviceAsync(string userId, string deviceId, bool registerToken = true)
    {
        var device = new PushDevice(userId, deviceId, DevicePlatform.Android, FcmToken: "fcm:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(60)));
        if (registerToken)
        {
            Fcm.RegisterToken(device.FcmToken!);
        }

        await Devices.UpsertAsync(device, TestContext.Current.CancellationToken).Bounded();
        return device;
    }

    public RingRequest Ring(string invitationId, IReadOnlyList<PushDevice> devices, TimeSpan? ringFor = null, string? extendedData = "{\"room\":\"r1\"}") => new()
    {
        InvitationId = invitationId,
        Inviter = "alice",
        ExtendedData = extendedData,
        Deadline = DateTimeOffset.FromUnixTimeSeconds(Time.GetUtcNow().Add(ringFor ?? TimeSpan.FromSeconds(60)).ToUnixTimeSeconds()),
        PushConfig = new PushConfig("Alice", "Incoming call", "{\"k\":1}"),
        Devices = devices,
    };

    public static CancelRequest Cancel(string invitationId, IReadOnlyList<PushDevice> devices, CancelReason reason = CancelReason.Cancelled, PushConfig? config = null) => new()
    {
        InvitationId = invitationId,
        Reason = reason,
        PushConfig = config,
        Devices = devices,
    };

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.StopAsync().WaitAsync(Timeouts.Default);
            Host.Dispose();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        ApnsKey.Dispose();
        ServiceAccountKey.Dispose();
    }

    private static string HexToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private async Task StartServersAsync()
    {
        var apnsPublic = ECDsa.Create(ApnsKey.ExportParameters(false));
        Apns = await ApnsStandIn.StartAsync(apnsPublic, KeyId, TeamId, Time);
        _servers.Add(Apns);
        var oauthPublic = RSA.Create(ServiceAccountKey.ExportParameters(false));
        OAuth = await OAuthStandIn.StartAsync(oauthPublic, ClientEmail, ServiceAccountKeyId, Time);
        _servers.Add(OAuth);
        Fcm = await FcmStandIn.StartAsync(OAuth, ProjectId);
        _servers.Add(Fcm);
    }

    private void Configure(HarnessOptions options)
    {
        Configuration["Push:MaxAttempts"] = "4";
        Configuration["Push:RetryBaseDelay"] = "00:00:00.010";
        Configuration["Push:RetryMaxDelay"] = "00:00:02";
        if (options.Apns)
        {
            Configuration["Push:Apns:KeyId"] = KeyId;
            Configuration["Push:Apns:TeamId"] = TeamId;
            Configuration["Push:Apns:PrivateKey"] = ApnsKey.ExportPkcs8PrivateKeyPem();
            Configuration["Push:Apns:BundleId"] = BundleId;
            Configuration["Push:Apns:Environment"] = "production";
        }

        Configuration["Push:Apns:Endpoint"] = Apns.Origin.ToString();
        if (options.Fcm)
        {
            Configuration["Push:Fcm:ServiceAccountJson"] = ServiceAccountJson();
        }

        Configuration["Push:Fcm:Endpoint"] = Fcm.Origin.ToString();
        foreach (var (key, value) in options.Settings)
        {
            if (value is null)
            {
                Configuration.Remove(key);
            }
            else
            {
                Configuration[key] = value;
            }
        }
    }
}
