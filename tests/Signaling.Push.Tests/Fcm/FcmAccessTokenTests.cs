using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Fcm;

/// <summary>FCM access tokens from the OAuth stand-in: cached until near expiry, refreshed once on 401.</summary>
public sealed class FcmAccessTokenTests : IAsyncLifetime
{
    private PushHarness _push = null!;

    public async ValueTask InitializeAsync() => _push = await PushHarness.StartAsync(o => o.Apns = false);

    public async ValueTask DisposeAsync() => await _push.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_access_token_is_cached_until_near_expiry()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");

        await _push.Dispatcher.RingAsync(_push.Ring("inv-1", [pixel]), Ct).Bounded();
        _push.Time.Advance(TimeSpan.FromMinutes(30));
        await _push.Dispatcher.RingAsync(_push.Ring("inv-2", [pixel]), Ct).Bounded();
        Assert.Single(_push.OAuth.Issued);

        _push.Time.Advance(TimeSpan.FromMinutes(29));
        await _push.Dispatcher.RingAsync(_push.Ring("inv-3", [pixel]), Ct).Bounded();

        Assert.Equal(2, _push.OAuth.Issued.Count);
        Assert.Equal(3, _push.Fcm.Accepted.Count);
        Assert.Equal(_push.OAuth.Issued[1], _push.Fcm.Requests[2].AccessToken);
        Assert.Empty(_push.OAuth.Rejections);
    }

    [Fact]
    public async Task A_401_refreshes_the_access_token_once_and_the_push_goes_through()
    {
        var pixels = new List<Signaling.Push.Devices.PushDevice>();
        for (var i = 0; i < 4; i++)
        {
            pixels.Add(await _push.AddAndroidDeviceAsync("bob", $"pixel-{i}"));
        }

        _push.Fcm.RevokeAccessTokens(1);

        var outcomes = await _push.Dispatcher.RingAsync(_push.Ring("inv-1", pixels), Ct).Bounded();

        Assert.All(outcomes, o => Assert.Equal((PushStatus.Sent, 1), (o.Status, o.Attempts)));
        Assert.Equal(2, _push.OAuth.Issued.Count);
        Assert.Equal(4, _push.Fcm.Accepted.Count);
        Assert.All(_push.Fcm.Accepted, r => Assert.Equal(_push.OAuth.Issued[1], r.AccessToken));
    }

    [Fact]
    public async Task A_second_401_after_refresh_fails_without_a_third_token()
    {
        var pixel = await _push.AddAndroidDeviceAsync("bob", "pixel");
        _push.Fcm.RevokeAccessTokens(int.MaxValue);

        var outcome = Assert.Single(await _push.Dispatcher.RingAsync(_push.Ring("inv-1", [pixel]), Ct).Bounded());

        Assert.Equal((PushStatus.Failed, "UNAUTHENTICATED", 401), (outcome.Status, outcome.Reason, outcome.StatusCode));
        Assert.Equal(2, _push.Fcm.Requests.Count);
        Assert.Equal(2, _push.OAuth.Issued.Count);
    }
}
