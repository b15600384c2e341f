using System.Security.Cryptography;
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
/// A host with <c>AddPush()</c> wired to the in-process APNs, FCM and OAuth stand-ins of Signaling.TestKit over TLS,
/// credentials generated there, and a hand-moved clock. The clients trust the test CA through a test-only handler
/// configuration.
/// </summary>
public sealed class PushHarness : IAsyncDisposable
{
    public const string KeyId = PushStandIns.KeyId;
    public const string TeamId = PushStandIns.TeamId;
    public const string BundleId = PushStandIns.BundleId;
    public const string ProjectId = PushStandIns.ProjectId;
    public const string ClientEmail = PushStandIns.ClientEmail;
    public const string ServiceAccountKeyId = PushStandIns.ServiceAccountKeyId;

    private PushStandIns _standIns = null!;

    private PushHarness()
    {
    }

    public ManualTimeProvider Time { get; } = new();

    public TestLogSink Logs { get; } = new();

    public ECDsa ApnsKey => _standIns.ApnsKey;

    public RSA ServiceAccountKey => _standIns.ServiceAccountKey;

    public ApnsStandIn Apns => _standIns.Apns;

    public OAuthStandIn OAuth => _standIns.OAuth;

    public FcmStandIn Fcm => _standIns.Fcm;

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
        harness._standIns = await PushStandIns.StartAsync(harness.Time);
        beforeHost?.Invoke(harness);
        harness.Configure(options);
        harness.Host = BuildHost(harness.Configuration, harness.Time, harness.Logs);
        await harness.Host.StartAsync().Bounded();
        return harness;
    }

    /// <summary>A host with <c>AddPush()</c>, the given configuration, the clock and the test CA; not started.</summary>
    public static IHost BuildHost(IDictionary<string, string?> configuration, TimeProvider time, ILoggerProvider? logs = null, Action<IServiceCollection>? services = null)
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
        PushStandIns.TrustStandInAuthority(builder.Services, PushHttpClientNames.Apns, PushHttpClientNames.Fcm, PushHttpClientNames.FcmOAuth);
        services?.Invoke(builder.Services);

        return builder.Build();
    }

    public string ServiceAccountJson(string? tokenUri = null, string? projectId = ProjectId) => _standIns.ServiceAccountJson(tokenUri, projectId);

    /// <summary>Registers an iOS device with the store and its tokens with the APNs stand-in.</summary>
    public async Task<PushDevice> AddIosDeviceAsync(string userId, string deviceId, bool registerTokens = true)
    {
        var device = new PushDevice(userId, deviceId, DevicePlatform.Ios, VoipToken: PushStandIns.NewApnsToken(), ApnsToken: PushStandIns.NewApnsToken(), BundleId: BundleId);
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
        var device = new PushDevice(userId, deviceId, DevicePlatform.Android, FcmToken: PushStandIns.NewFcmToken());
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

        await _standIns.DisposeAsync();
    }

    private void Configure(HarnessOptions options)
    {
        Configuration["Push:MaxAttempts"] = "4";
        Configuration["Push:RetryBaseDelay"] = "00:00:00.010";
        Configuration["Push:RetryMaxDelay"] = "00:00:02";
        foreach (var (key, value) in _standIns.Settings(options.Apns, options.Fcm))
        {
            Configuration[key] = value;
        }

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
