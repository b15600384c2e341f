using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Signaling.Push.Devices;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Options;

/// <summary>Start-up validation of Push, Push:Apns and Push:Fcm, and platforms switched off by missing credentials.</summary>
public sealed class PushConfigurationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string ApnsPem = CreateApnsPem();

    private static string CreateApnsPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Starts a host with the configuration; returns the validation failure message, or null if it started.</summary>
    private static async Task<string?> StartAsync(Dictionary<string, string?> configuration, TestLogSink? logs = null)
    {
        using var host = PushHarness.BuildHost(configuration, new ManualTimeProvider(), logs);
        try
        {
            await host.StartAsync(Ct).Bounded();
        }
        catch (OptionsValidationException ex)
        {
            return ex.Message;
        }

        await host.StopAsync(Ct).Bounded();
        return null;
    }

    [Fact]
    public async Task No_credentials_start_with_both_platforms_off_and_say_so()
    {
        var logs = new TestLogSink();

        Assert.Null(await StartAsync([], logs));

        var messages = logs.Entries.Select(e => e.Message).ToList();
        Assert.Contains("APNs disabled: Push:Apns:KeyId/TeamId/PrivateKey not configured; iOS devices are not rung.", messages);
        Assert.Contains("FCM disabled: Push:Fcm:ServiceAccountPath/ServiceAccountJson not configured; Android devices are not rung.", messages);
    }

    [Theory]
    [InlineData("Push:Apns:KeyId", "Push:Apns:TeamId")]
    [InlineData("Push:Apns:TeamId", "Push:Apns:KeyId")]
    [InlineData("Push:Apns:PrivateKey", "Push:Apns:KeyId")]
    public async Task Partial_apns_credentials_fail_start_naming_what_is_missing(string present, string reportedMissing)
    {
        var error = await StartAsync(new() { [present] = present.EndsWith("PrivateKey", StringComparison.Ordinal) ? ApnsPem : "X1" });

        Assert.NotNull(error);
        Assert.Contains("APNs is partially configured", error, StringComparison.Ordinal);
        Assert.Contains(reportedMissing, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_private_key_that_is_not_an_ec_p256_pem_fails_start_without_echoing_it()
    {
        using var rsa = RSA.Create(2048);
        var rsaPem = rsa.ExportPkcs8PrivateKeyPem();

        var garbage = await StartAsync(new() { ["Push:Apns:KeyId"] = "K", ["Push:Apns:TeamId"] = "T", ["Push:Apns:PrivateKey"] = "not a key" });
        var notEc = await StartAsync(new() { ["Push:Apns:KeyId"] = "K", ["Push:Apns:TeamId"] = "T", ["Push:Apns:PrivateKey"] = rsaPem });

        Assert.Contains("Push:Apns:PrivateKey is not a PEM EC P-256 private key", garbage, StringComparison.Ordinal);
        Assert.Contains("Push:Apns:PrivateKey is not a PEM EC P-256 private key", notEc, StringComparison.Ordinal);
        Assert.DoesNotContain("not a key", garbage!.Replace("is not a PEM", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain(rsaPem[40..80], notEc, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_may_come_from_a_p8_file_or_as_escaped_pem_text()
    {
        var path = Path.Combine(Path.GetTempPath(), $"AuthKey_{Guid.NewGuid():N}.p8");
        await File.WriteAllTextAsync(path, ApnsPem, Ct).Bounded();
        try
        {
            var logs = new TestLogSink();
            Assert.Null(await StartAsync(new() { ["Push:Apns:KeyId"] = "K", ["Push:Apns:TeamId"] = "T", ["Push:Apns:PrivateKeyPath"] = path }, logs));
            Assert.Contains(logs.Entries, e => e.Message.StartsWith("APNs enabled: key K, team T", StringComparison.Ordinal));

            var escaped = ApnsPem.Replace("\n", "\\n", StringComparison.Ordinal);
            Assert.Null(await StartAsync(new() { ["Push:Apns:KeyId"] = "K", ["Push:Apns:TeamId"] = "T", ["Push:Apns:PrivateKey"] = escaped }));

            var both = await StartAsync(new() { ["Push:Apns:KeyId"] = "K", ["Push:Apns:TeamId"] = "T", ["Push:Apns:PrivateKey"] = ApnsPem, ["Push:Apns:PrivateKeyPath"] = path });
            Assert.Contains("Set only one of Push:Apns:PrivateKey and Push:Apns:PrivateKeyPath", both, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_missing_key_file_fails_start_naming_the_path()
    {
        var error = await StartAsync(new() { ["Push:Apns:KeyId"] = "K", ["Push:Apns:TeamId"] = "T", ["Push:Apns:PrivateKeyPath"] = "/nonexistent/AuthKey.p8" });

        Assert.Contains("/nonexistent/AuthKey.p8", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"type\":\"authorized_user\"}")]
    [InlineData("{\"type\":\"service_account\",\"project_id\":\"p\",\"private_key\":\"x\"}")]
    public async Task An_unusable_service_account_fails_start(string json)
    {
        var error = await StartAsync(new() { ["Push:Fcm:ServiceAccountJson"] = json });

        Assert.Contains("Push:Fcm:ServiceAccountJson is not a usable service-account key", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_account_without_project_needs_Push_Fcm_ProjectId()
    {
        await using var push = await PushHarness.StartAsync(o => o.Fcm = false);
        var json = push.ServiceAccountJson(projectId: null);

        var error = await StartAsync(new() { ["Push:Fcm:ServiceAccountJson"] = json });
        var withProject = await StartAsync(new() { ["Push:Fcm:ServiceAccountJson"] = json, ["Push:Fcm:ProjectId"] = "p" });

        Assert.Contains("no project_id; set Push:Fcm:ProjectId", error, StringComparison.Ordinal);
        Assert.Null(withProject);
    }

    [Fact]
    public async Task Push_Fcm_ProjectId_overrides_the_accounts_project_and_a_key_file_works()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sa_{Guid.NewGuid():N}.json");
        try
        {
            await using var push = await PushHarness.StartAsync(o =>
            {
                o.Fcm = false;
                o.Settings["Push:Fcm:ServiceAccountPath"] = path;
                o.Settings["Push:Fcm:ProjectId"] = PushHarness.ProjectId;
            }, beforeHost: p => File.WriteAllText(path, p.ServiceAccountJson(projectId: "some-other-project")));
            var pixel = await push.AddAndroidDeviceAsync("bob", "pixel");

            var outcome = Assert.Single(await push.Dispatcher.RingAsync(push.Ring("inv-1", [pixel]), Ct).Bounded());

            Assert.Equal(PushStatus.Sent, outcome.Status);
            Assert.Equal($"/v1/projects/{PushHarness.ProjectId}/messages:send", Assert.Single(push.Fcm.Requests).Path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("Push:MaxConcurrency", "0")]
    [InlineData("Push:MaxAttempts", "0")]
    [InlineData("Push:Apns:TokenRefreshInterval", "01:00:00")]
    [InlineData("Push:Apns:Endpoint", "https://127.0.0.1:8443/3/device")]
    [InlineData("Push:Fcm:Endpoint", "https://127.0.0.1:8443/v1")]
    public async Task Out_of_range_settings_fail_start(string key, string value)
    {
        var error = await StartAsync(new() { [key] = value });

        Assert.NotNull(error);
    }

    [Fact]
    public async Task With_apns_off_android_is_still_rung_and_ios_is_skipped()
    {
        await using var push = await PushHarness.StartAsync(o => o.Apns = false);
        var iphone = await push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await push.AddAndroidDeviceAsync("bob", "pixel");

        var outcomes = await push.Dispatcher.RingAsync(push.Ring("inv-1", [iphone, pixel]), Ct).Bounded();

        Assert.Equal((PushStatus.Skipped, "ApnsDisabled"), (outcomes[0].Status, outcomes[0].Reason));
        Assert.Equal(PushStatus.Sent, outcomes[1].Status);
        Assert.Empty(push.Apns.Requests);
        Assert.Contains(push.Logs.Entries, e => e.Message.StartsWith("APNs disabled: Push:Apns:KeyId/TeamId/PrivateKey not configured", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_fcm_off_ios_is_still_rung_and_android_is_skipped()
    {
        await using var push = await PushHarness.StartAsync(o => o.Fcm = false);
        var iphone = await push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await push.AddAndroidDeviceAsync("bob", "pixel");

        var outcomes = await push.Dispatcher.RingAsync(push.Ring("inv-1", [iphone, pixel]), Ct).Bounded();

        Assert.Equal(PushStatus.Sent, outcomes[0].Status);
        Assert.Equal((PushStatus.Skipped, "FcmDisabled"), (outcomes[1].Status, outcomes[1].Reason));
        Assert.Empty(push.Fcm.Requests);
        Assert.Empty(push.OAuth.Issued);
    }

    [Fact]
    public void AddPush_twice_registers_once_and_keeps_earlier_stores()
    {
        var services = new ServiceCollection();
        var custom = new InMemoryDeviceStore();
        services.AddSingleton<IDeviceStore>(custom);
        services.AddPush();
        var count = services.Count;
        services.AddPush();

        Assert.Equal(count, services.Count);
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        Assert.Single(services, d => d.ServiceType == typeof(IDeviceStore));
    }
}
