using System.Globalization;
using System.Text.Json;
using Signaling.Push.Devices;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Dispatch;

/// <summary>Ring and cancel end to end, against the APNs, FCM and OAuth stand-ins.</summary>
public sealed class RingAndCancelTests : IAsyncLifetime
{
    private PushHarness _push = null!;

    public async ValueTask InitializeAsync() => _push = await PushHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _push.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Offline_ios_and_android_devices_are_each_rung_exactly_once_even_when_ring_is_requested_twice()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        var ring = _push.Ring("inv-1", [iphone, pixel]);

        var first = await _push.Dispatcher.RingAsync(ring, Ct).Bounded();
        var second = await _push.Dispatcher.RingAsync(ring, Ct).Bounded();

        Assert.All(first, o => Assert.Equal(PushStatus.Sent, o.Status));
        Assert.All(second, o => Assert.Equal(PushStatus.Duplicate, o.Status));
        var voip = Assert.Single(_push.Apns.Requests);
        var data = Assert.Single(_push.Fcm.Requests);
        Assert.Equal(200, voip.Status);
        Assert.Equal(200, data.Status);

        Assert.Equal("HTTP/2", voip.Protocol);
        Assert.Equal(iphone.VoipToken, voip.DeviceToken);
        Assert.Equal("voip", voip.Header("apns-push-type"));
        Assert.Equal(PushHarness.BundleId + ".voip", voip.Header("apns-topic"));
        Assert.Equal("10", voip.Header("apns-priority"));
        Assert.Equal(ring.Deadline.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), voip.Header("apns-expiration"));
        Assert.Equal("inv-1", voip.Header("apns-collapse-id"));
        var payload = voip.Json;
        Assert.Equal("inv-1", payload.GetProperty("invitationId").GetString());
        Assert.Equal("alice", payload.GetProperty("inviter").GetString());
        Assert.Equal(ring.ExtendedData, payload.GetProperty("extendedData").GetString());
        Assert.Equal(ring.Deadline.ToUnixTimeSeconds(), payload.GetProperty("deadline").GetInt64());
        Assert.Equal("Alice", payload.GetProperty("pushConfig").GetProperty("title").GetString());
        Assert.Equal("Incoming call", payload.GetProperty("pushConfig").GetProperty("content").GetString());
        Assert.Equal("{\"k\":1}", payload.GetProperty("pushConfig").GetProperty("payload").GetString());

        Assert.Equal(pixel.FcmToken, data.Token);
        Assert.Equal("high", data.Android.GetProperty("priority").GetString());
        Assert.Equal("60s", data.Android.GetProperty("ttl").GetString());
        Assert.Equal("inv-1", data.Android.GetProperty("collapse_key").GetString());
        Assert.Equal("invitation.ring", data.Data["type"]);
        Assert.Equal("inv-1", data.Data["invitationId"]);
        Assert.Equal("alice", data.Data["inviter"]);
        Assert.Equal(ring.ExtendedData, data.Data["extendedData"]);
        Assert.Equal(ring.Deadline.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), data.Data["deadline"]);
        Assert.Equal("Alice", JsonDocument.Parse(data.Data["pushConfig"]).RootElement.GetProperty("title").GetString());

        var recorded = await _push.Ledger.GetOutcomesAsync("inv-1", Ct).Bounded();
        Assert.Equal(2, recorded.Count);
        Assert.All(recorded, o => Assert.Equal((PushKind.Ring, PushStatus.Sent, 1), (o.Kind, o.Status, o.Attempts)));
    }

    [Fact]
    public async Task Concurrent_ring_requests_for_the_same_invitation_still_ring_once()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        var ring = _push.Ring("inv-c", [iphone, pixel]);

        var all = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _push.Dispatcher.RingAsync(ring, Ct))).Bounded();

        Assert.Single(_push.Apns.Requests);
        Assert.Single(_push.Fcm.Requests);
        Assert.Equal(2, all.SelectMany(o => o).Count(o => o.Status == PushStatus.Sent));
    }

    [Fact]
    public async Task QueueRing_returns_at_once_and_delivers_in_the_background()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");

        Assert.True(_push.Dispatcher.QueueRing(_push.Ring("inv-q", [pixel])));

        await Timeouts.Until(
            async () => (await _push.Ledger.GetOutcomesAsync("inv-q", Ct)).Any(o => o.Status == PushStatus.Sent),
            "the queued ring is recorded as sent");
        Assert.Single(_push.Fcm.Accepted);
    }

    [Fact]
    public async Task Cancel_reaches_both_devices_and_never_as_a_voip_push()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        await _push.Dispatcher.RingAsync(_push.Ring("inv-2", [iphone, pixel]), Ct).Bounded();

        var outcomes = await _push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-2", [iphone, pixel], CancelReason.AnsweredElsewhere), Ct).Bounded();

        Assert.Equal(2, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal((PushKind.Cancel, PushStatus.Sent), (o.Kind, o.Status)));

        Assert.Single(_push.Apns.Requests, r => r.Header("apns-push-type") == "voip");
        var cancel = Assert.Single(_push.Apns.Requests, r => r.Header("apns-push-type") != "voip");
        Assert.Equal(200, cancel.Status);
        Assert.Equal(iphone.ApnsToken, cancel.DeviceToken);
        Assert.Equal("background", cancel.Header("apns-push-type"));
        Assert.Equal(PushHarness.BundleId, cancel.Header("apns-topic"));
        Assert.Equal("5", cancel.Header("apns-priority"));
        Assert.Equal(1, cancel.Json.GetProperty("aps").GetProperty("content-available").GetInt32());
        Assert.Equal("invitation.cancel", cancel.Json.GetProperty("type").GetString());
        Assert.Equal("answeredElsewhere", cancel.Json.GetProperty("reason").GetString());

        var fcmCancel = _push.Fcm.Requests[1];
        Assert.Equal(200, fcmCancel.Status);
        Assert.Equal("invitation.cancel", fcmCancel.Data["type"]);
        Assert.Equal("inv-2", fcmCancel.Data["invitationId"]);
        Assert.Equal("answeredElsewhere", fcmCancel.Data["reason"]);
        Assert.Equal("inv-2", fcmCancel.Android.GetProperty("collapse_key").GetString());
        Assert.Equal(2, _push.Fcm.Requests.Count);

        // A second cancel sends nothing more.
        var again = await _push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-2", [iphone, pixel]), Ct).Bounded();
        Assert.All(again, o => Assert.Equal(PushStatus.Duplicate, o.Status));
        Assert.Equal(2, _push.Apns.Requests.Count);
        Assert.Equal(2, _push.Fcm.Requests.Count);
    }

    [Fact]
    public async Task Cancel_with_texts_is_an_ios_alert_push()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        await _push.Dispatcher.RingAsync(_push.Ring("inv-3", [iphone]), Ct).Bounded();

        await _push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-3", [iphone], CancelReason.Timeout, new PushConfig("Alice", "Missed call")), Ct).Bounded();

        var alert = _push.Apns.Requests[1];
        Assert.Equal(200, alert.Status);
        Assert.Equal("alert", alert.Header("apns-push-type"));
        Assert.Equal(PushHarness.BundleId, alert.Header("apns-topic"));
        Assert.Equal("10", alert.Header("apns-priority"));
        Assert.Equal("Missed call", alert.Json.GetProperty("aps").GetProperty("alert").GetProperty("body").GetString());
        Assert.Equal("timeout", alert.Json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Cancel_goes_only_to_devices_that_were_rung()
    {
        var rung = await _push.AddAndroidDeviceAsync("bob", "rung");
        var online = await _push.AddAndroidDeviceAsync("bob", "online");
        await _push.Dispatcher.RingAsync(_push.Ring("inv-4", [rung]), Ct).Bounded();

        var outcomes = await _push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-4", [rung, online]), Ct).Bounded();

        Assert.Equal("rung", Assert.Single(outcomes).DeviceId);
        Assert.DoesNotContain(_push.Fcm.Requests, r => r.Token == online.FcmToken);
    }

    [Fact]
    public async Task Ring_after_cancel_is_skipped()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        var other = await _push.AddAndroidDeviceAsync("bob", "other");
        await _push.Dispatcher.RingAsync(_push.Ring("inv-5", [pixel]), Ct).Bounded();
        await _push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-5", [pixel]), Ct).Bounded();

        var late = await _push.Dispatcher.RingAsync(_push.Ring("inv-5", [other]), Ct).Bounded();

        Assert.Equal((PushStatus.Skipped, "InvitationCancelled"), (late[0].Status, late[0].Reason));
        Assert.DoesNotContain(_push.Fcm.Requests, r => r.Token == other.FcmToken);
    }

    [Fact]
    public async Task Cancel_stops_a_ring_waiting_to_retry()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        _push.Fcm.Script(pixel.FcmToken!, new Reply(503, null, RetryAfter: "2"), new Reply(503, null, RetryAfter: "2"));
        var ring = _push.Dispatcher.RingAsync(_push.Ring("inv-6", [pixel]), Ct);
        await Timeouts.Until(() => _push.Fcm.Requests.Count == 1, "the first ring attempt was refused");

        var cancel = await _push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-6", [pixel]), Ct).Bounded();

        var outcome = Assert.Single(await ring.Bounded());
        Assert.Equal((PushStatus.Failed, "InvitationCancelled", 1), (outcome.Status, outcome.Reason, outcome.Attempts));
        Assert.Empty(cancel);
        Assert.Single(_push.Fcm.Requests);
    }

    [Fact]
    public async Task A_ring_past_its_deadline_is_not_sent()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        var ring = _push.Ring("inv-7", [pixel], ringFor: TimeSpan.FromSeconds(-1));

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(ring, Ct).Bounded());

        Assert.Equal((PushStatus.Skipped, "DeadlinePassed"), (outcome.Status, outcome.Reason));
        Assert.Empty(_push.Fcm.Requests);
    }

    [Fact]
    public async Task Fcm_ttl_is_the_ring_time_left()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");

        await _push.Dispatcher.RingAsync(_push.Ring("inv-8", [pixel], ringFor: TimeSpan.FromSeconds(37)), Ct).Bounded();

        Assert.Equal("37s", Assert.Single(_push.Fcm.Requests).Android.GetProperty("ttl").GetString());
    }

    [Fact]
    public async Task Oversized_payloads_are_refused_before_sending()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        var ring = _push.Ring("inv-9", [iphone, pixel], extendedData: new string('x', 5200));

        var outcomes = await _push.Dispatcher.RingAsync(ring, Ct).Bounded();

        Assert.All(outcomes, o => Assert.Equal((PushStatus.Failed, "PayloadTooLarge"), (o.Status, o.Reason)));
        Assert.Empty(_push.Apns.Requests);
        Assert.Empty(_push.Fcm.Requests);
    }

    [Fact]
    public async Task A_voip_payload_between_4_and_5_KB_is_sent_but_fcm_data_over_4_KB_is_not()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        var ring = _push.Ring("inv-10", [iphone, pixel], extendedData: new string('x', 4500));

        var outcomes = await _push.Dispatcher.RingAsync(ring, Ct).Bounded();

        Assert.Equal(PushStatus.Sent, outcomes.Single(o => o.Platform == DevicePlatform.Ios).Status);
        Assert.Equal("PayloadTooLarge", outcomes.Single(o => o.Platform == DevicePlatform.Android).Reason);
        Assert.InRange(Assert.Single(_push.Apns.Accepted).PayloadBytes, 4097, 5120);
        Assert.Empty(_push.Fcm.Requests);
    }

    [Fact]
    public async Task Devices_without_the_needed_token_are_skipped()
    {
        var iphone = new PushDevice("bob", "old-iphone", DevicePlatform.Ios, ApnsToken: "abc", BundleId: PushHarness.BundleId);
        var pixel = new PushDevice("bob", "old-pixel", DevicePlatform.Android);

        var outcomes = await _push.Dispatcher.RingAsync(_push.Ring("inv-11", [iphone, pixel]), Ct).Bounded();

        Assert.Equal(["NoVoipToken", "NoFcmToken"], outcomes.Select(o => o.Reason));
        Assert.Empty(_push.Apns.Requests);
        Assert.Empty(_push.Fcm.Requests);
    }

    [Fact]
    public async Task Logs_carry_no_tokens_keys_or_jwts()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        var dead = await _push.AddIosDeviceAsync("bob", "dead");
        _push.Apns.Unregister(dead.VoipToken!);
        _push.Apns.ExpireProviderTokens(1);
        await _push.Dispatcher.RingAsync(_push.Ring("inv-12", [iphone, pixel, dead]), Ct).Bounded();
        await _push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-12", [iphone, pixel]), Ct).Bounded();

        var secrets = new List<string> { iphone.VoipToken!, iphone.ApnsToken!, pixel.FcmToken!, dead.VoipToken!, "PRIVATE KEY" };
        secrets.AddRange(_push.Apns.Requests.Select(r => r.Jwt!));
        secrets.AddRange(_push.OAuth.Issued);
        var logs = string.Join("\n", _push.Logs.Entries.Select(e => e.ToString()));
        Assert.Contains("inv-12", logs, StringComparison.Ordinal);
        Assert.All(secrets.Distinct(), secret => Assert.DoesNotContain(secret, logs, StringComparison.Ordinal));
    }
}
