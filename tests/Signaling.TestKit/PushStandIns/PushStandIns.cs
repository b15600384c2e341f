using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Signaling.TestKit.PushStandIns;

/// <summary>
/// The APNs, FCM and Google OAuth stand-ins with credentials made here: an APNs <c>.p8</c>-style P-256 key and a
/// Firebase service account. <see cref="Settings"/> gives the <c>Push:*</c> configuration that points a host at them;
/// <see cref="TrustStandInAuthority"/> makes that host's push clients trust their certificate.
/// </summary>
public sealed class PushStandIns : IAsyncDisposable
{
    public const string KeyId = "ABC123DEFG";
    public const string TeamId = "TEAM123456";
    public const string BundleId = "com.example.signaling";
    public const string ProjectId = "signaling-test";
    public const string ClientEmail = "push@signaling-test.iam.gserviceaccount.com";
    public const string ServiceAccountKeyId = "0123456789abcdef";

    private readonly List<IAsyncDisposable> _servers = [];

    private PushStandIns()
    {
    }

    public ECDsa ApnsKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public RSA ServiceAccountKey { get; } = RSA.Create(2048);

    public ApnsStandIn Apns { get; private set; } = null!;

    public OAuthStandIn OAuth { get; private set; } = null!;

    public FcmStandIn Fcm { get; private set; } = null!;

    /// <summary>Starts the three stand-ins on 127.0.0.1; <paramref name="time"/> is their clock (token ages).</summary>
    public static async Task<PushStandIns> StartAsync(TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var standIns = new PushStandIns();
        try
        {
            var apnsPublic = ECDsa.Create(standIns.ApnsKey.ExportParameters(false));
            standIns.Apns = await ApnsStandIn.StartAsync(apnsPublic, KeyId, TeamId, time);
            standIns._servers.Add(standIns.Apns);
            var oauthPublic = RSA.Create(standIns.ServiceAccountKey.ExportParameters(false));
            standIns.OAuth = await OAuthStandIn.StartAsync(oauthPublic, ClientEmail, ServiceAccountKeyId, time);
            standIns._servers.Add(standIns.OAuth);
            standIns.Fcm = await FcmStandIn.StartAsync(standIns.OAuth, ProjectId);
            standIns._servers.Add(standIns.Fcm);
            return standIns;
        }
        catch
        {
            await standIns.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Makes the named <c>IHttpClientFactory</c> clients (e.g. <c>PushHttpClientNames.*</c>) trust the stand-ins'
    /// CA, for those clients only; their host names are still checked. Test-only: it replaces nothing else.
    /// </summary>
    public static IServiceCollection TrustStandInAuthority(IServiceCollection services, params string[] clientNames)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var name in clientNames)
        {
            services.AddHttpClient(name).ConfigurePrimaryHttpMessageHandler((handler, _) =>
                StandInCertificates.TrustTestAuthority((SocketsHttpHandler)handler));
        }

        return services;
    }

    /// <summary>A Firebase service-account key file's JSON for the generated key.</summary>
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

    /// <summary>
    /// <c>Push:Apns:*</c> and <c>Push:Fcm:*</c> settings: the endpoints always (so that nothing could reach Apple or
    /// Google), the credentials of the platforms asked for.
    /// </summary>
    public Dictionary<string, string?> Settings(bool apns = true, bool fcm = true)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Push:Apns:Endpoint"] = Apns.Origin.ToString(),
            ["Push:Fcm:Endpoint"] = Fcm.Origin.ToString(),
        };
        if (apns)
        {
            settings["Push:Apns:KeyId"] = KeyId;
            settings["Push:Apns:TeamId"] = TeamId;
            settings["Push:Apns:PrivateKey"] = ApnsKey.ExportPkcs8PrivateKeyPem();
            settings["Push:Apns:BundleId"] = BundleId;
            settings["Push:Apns:Environment"] = "production";
        }

        if (fcm)
        {
            settings["Push:Fcm:ServiceAccountJson"] = ServiceAccountJson();
        }

        return settings;
    }

    /// <summary>A random 32-byte APNs device token in hex, as iOS hands it out.</summary>
    public static string NewApnsToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A random FCM registration token.</summary>
    public static string NewFcmToken() => "fcm:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(60));

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        ApnsKey.Dispose();
        ServiceAccountKey.Dispose();
    }
}
