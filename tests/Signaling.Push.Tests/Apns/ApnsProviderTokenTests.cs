using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Apns;

/// <summary>The shared provider token as APNs sees it: renewed by age, and once after ExpiredProviderToken.</summary>
public sealed class ApnsProviderTokenTests : IAsyncLifetime
{
    private PushHarness _push = null!;

    public async ValueTask InitializeAsync() => _push = await PushHarness.StartAsync(o => o.Fcm = false);

    public async ValueTask DisposeAsync() => await _push.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int _invitations;

    private async Task RingAsync(params Signaling.Push.Devices.PushDevice[] devices)
    {
        var outcomes = await _push.Dispatcher.RingAsync(_push.Ring($"inv-{++_invitations}", devices), Ct).Bounded();
        Assert.All(outcomes, o => Assert.Equal(PushStatus.Sent, o.Status));
    }

    private int DistinctJwts => _push.Apns.Requests.Select(r => r.Jwt).Distinct().Count();

    [Fact]
    public async Task The_token_is_reused_until_50_minutes_old_then_replaced_once()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        var ipad = await _push.AddIosDeviceAsync("bob", "ipad");

        await RingAsync(iphone, ipad);
        _push.Time.Advance(TimeSpan.FromMinutes(30));
        await RingAsync(iphone, ipad);
        _push.Time.Advance(TimeSpan.FromMinutes(20) - TimeSpan.FromSeconds(1));
        await RingAsync(iphone);
        Assert.Equal(1, DistinctJwts);

        _push.Time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => RingAsync(iphone, ipad))).Bounded();
        _push.Time.Advance(TimeSpan.FromMinutes(49));
        await RingAsync(ipad);

        Assert.Equal(2, DistinctJwts);
        Assert.All(_push.Apns.Requests, r => Assert.Equal(200, r.Status));
        Assert.Equal(2, _push.Logs.Entries.Count(e => e.EventId.Name == "ApnsProviderTokenMinted"));
    }

    [Fact]
    public async Task ExpiredProviderToken_renews_once_and_the_push_goes_through()
    {
        var devices = new List<Signaling.Push.Devices.PushDevice>();
        for (var i = 0; i < 5; i++)
        {
            devices.Add(await _push.AddIosDeviceAsync("bob", $"phone-{i}"));
        }

        _push.Apns.ExpireProviderTokens(1);

        await RingAsync([.. devices]);
        await RingAsync(devices[0]);

        Assert.Equal(2, DistinctJwts);
        Assert.Equal(5 + 1, _push.Apns.Accepted.Count);
        Assert.All(_push.Apns.Requests.Where(r => r.Status == 403), r => Assert.Equal("ExpiredProviderToken", r.Reason));
    }

    [Fact]
    public async Task ExpiredProviderToken_again_after_renewal_fails_without_a_third_token()
    {
        var iphone = await _push.AddIosDeviceAsync("bob", "iphone");
        _push.Apns.ExpireProviderTokens(int.MaxValue);

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-x", [iphone]), Ct).Bounded());

        Assert.Equal((PushStatus.Failed, "ExpiredProviderToken", 403), (outcome.Status, outcome.Reason, outcome.StatusCode));
        Assert.Equal(2, _push.Apns.Requests.Count);
        Assert.Equal(2, DistinctJwts);
    }
}
