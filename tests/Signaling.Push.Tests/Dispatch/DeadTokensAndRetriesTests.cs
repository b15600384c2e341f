using Signaling.Push.Devices;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Dispatch;

/// <summary>Dead tokens leave the device store; 429/5xx are retried with back-off and delivered once.</summary>
public sealed class DeadTokensAndRetriesTests : IAsyncLifetime
{
    private PushHarness _push = null!;

    public async ValueTask InitializeAsync() => _push = await PushHarness.StartAsync();

    public async ValueTask DisposeAsync() => await _push.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<PushDevice> Stored(PushDevice device) => (await _push.Devices.GetAsync(device.UserId, device.DeviceId, Ct).Bounded())!;

    [Fact]
    public async Task Apns_410_Unregistered_removes_the_voip_token_only()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        _push.Apns.Unregister(iphone.VoipToken!);

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-1", [iphone]), Ct).Bounded());

        Assert.Equal((PushStatus.TokenRemoved, "Unregistered", 410), (outcome.Status, outcome.Reason, outcome.StatusCode));
        var stored = await Stored(iphone);
        Assert.Null(stored.VoipToken);
        Assert.Equal(iphone.ApnsToken, stored.ApnsToken);
        Assert.Single(_push.Apns.Requests);
        Assert.Equal(PushStatus.TokenRemoved, Assert.Single(await _push.Ledger.GetOutcomesAsync("inv-1", Ct).Bounded()).Status);
    }

    [Fact]
    public async Task Apns_BadDeviceToken_removes_the_token()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone", registerTokens: false);

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-2", [iphone]), Ct).Bounded());

        Assert.Equal((PushStatus.TokenRemoved, "BadDeviceToken", 400), (outcome.Status, outcome.Reason, outcome.StatusCode));
        Assert.Null((await Stored(iphone)).VoipToken);
    }

    [Fact]
    public async Task Apns_DeviceTokenNotForTopic_removes_the_token()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone", registerTokens: false);
        _push.Apns.RegisterToken(iphone.VoipToken!, "com.other.app.voip");

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-3", [iphone]), Ct).Bounded());

        Assert.Equal((PushStatus.TokenRemoved, "DeviceTokenNotForTopic"), (outcome.Status, outcome.Reason));
        Assert.Null((await Stored(iphone)).VoipToken);
    }

    [Fact]
    public async Task A_dead_regular_token_on_cancel_is_removed_and_the_voip_token_kept()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        await _push.Dispatcher.RingAsync(_push.Ring("inv-4", [iphone]), Ct).Bounded();
        _push.Apns.Unregister(iphone.ApnsToken!);

        var outcome = Assert.Single(await _push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-4", [iphone]), Ct).Bounded());

        Assert.Equal(PushStatus.TokenRemoved, outcome.Status);
        var stored = await Stored(iphone);
        Assert.Null(stored.ApnsToken);
        Assert.Equal(iphone.VoipToken, stored.VoipToken);
    }

    [Fact]
    public async Task Fcm_UNREGISTERED_removes_the_token()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel", registerToken: false);

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-5", [pixel]), Ct).Bounded());

        Assert.Equal((PushStatus.TokenRemoved, "UNREGISTERED", 404), (outcome.Status, outcome.Reason, outcome.StatusCode));
        Assert.Null((await Stored(pixel)).FcmToken);
        Assert.Single(_push.Fcm.Requests);
    }

    [Fact]
    public async Task Fcm_SENDER_ID_MISMATCH_removes_the_token()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        _push.Fcm.Script(pixel.FcmToken!, new Reply(403, "SENDER_ID_MISMATCH"));

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-6", [pixel]), Ct).Bounded());

        Assert.Equal((PushStatus.TokenRemoved, "SENDER_ID_MISMATCH"), (outcome.Status, outcome.Reason));
        Assert.Null((await Stored(pixel)).FcmToken);
    }

    [Fact]
    public async Task A_token_re_registered_while_the_push_was_in_flight_is_kept()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel", registerToken: false);
        var ring = _push.Ring("inv-7", [pixel]);
        await _push.Devices.UpsertAsync(pixel with { FcmToken = "fresh-token" }, Ct).Bounded();

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(ring, Ct).Bounded());

        Assert.Equal(PushStatus.TokenRemoved, outcome.Status);
        Assert.Equal("fresh-token", (await Stored(pixel)).FcmToken);
    }

    [Fact]
    public async Task Apns_429_and_503_are_retried_then_delivered_once_honouring_Retry_After()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        _push.Apns.Script(iphone.VoipToken!, new Reply(429, "TooManyRequests", RetryAfter: "1"), new Reply(503, "ServiceUnavailable"));

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-8", [iphone]), Ct).Bounded());

        Assert.Equal((PushStatus.Sent, 3), (outcome.Status, outcome.Attempts));
        Assert.Equal([429, 503, 200], _push.Apns.Requests.Select(r => r.Status));
        Assert.Single(_push.Apns.Accepted);
        var retries = _push.Logs.Entries.Where(e => e.EventId.Name == "PushRetrying").ToList();
        Assert.Equal(2, retries.Count);
        Assert.Contains("in 00:00:01.", retries[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("in 00:00:01.", retries[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fcm_503_and_429_are_retried_then_delivered_once()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        _push.Fcm.Script(pixel.FcmToken!, new Reply(503, null, RetryAfter: "0"), new Reply(429, "QUOTA_EXCEEDED"), new Reply(500, "INTERNAL"));

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-9", [pixel]), Ct).Bounded());

        Assert.Equal((PushStatus.Sent, 4), (outcome.Status, outcome.Attempts));
        Assert.Equal([503, 429, 500, 200], _push.Fcm.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task Retries_are_bounded_by_MaxAttempts()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        _push.Apns.Script(iphone.VoipToken!, [.. Enumerable.Repeat(new Reply(500, "InternalServerError"), 10)]);

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-10", [iphone]), Ct).Bounded());

        Assert.Equal((PushStatus.Failed, "InternalServerError", 500, 4), (outcome.Status, outcome.Reason, outcome.StatusCode, outcome.Attempts));
        Assert.Equal(4, _push.Apns.Requests.Count);
    }

    [Fact]
    public async Task A_Retry_After_beyond_RetryMaxDelay_ends_the_retries()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        _push.Fcm.Script(pixel.FcmToken!, new Reply(429, "QUOTA_EXCEEDED", RetryAfter: "3600"));

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-11", [pixel]), Ct).Bounded());

        Assert.Equal((PushStatus.Failed, "QUOTA_EXCEEDED", 1), (outcome.Status, outcome.Reason, outcome.Attempts));
        Assert.Single(_push.Fcm.Requests);
    }

    [Fact]
    public async Task Other_refusals_are_not_retried()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        _push.Apns.Script(iphone.VoipToken!, new Reply(400, "BadTopic"));

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-12", [iphone]), Ct).Bounded());

        Assert.Equal((PushStatus.Failed, "BadTopic", 1), (outcome.Status, outcome.Reason, outcome.Attempts));
        Assert.NotNull((await Stored(iphone)).VoipToken);
    }
}
