using Signaling.Push.Devices;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Devices;

/// <summary>What every <see cref="IDeviceStore"/> must do. Subclass it per implementation (in-memory now, Redis later).</summary>
public abstract class DeviceStoreSpecification : IAsyncLifetime
{
    private IDeviceStore? _store;

    protected IDeviceStore Store => _store ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>A fresh, empty store for one test.</summary>
    protected abstract Task<IDeviceStore> CreateStoreAsync();

    /// <summary>Disposes what <see cref="CreateStoreAsync"/> made, if anything.</summary>
    protected virtual ValueTask DisposeStoreAsync(IDeviceStore store) => ValueTask.CompletedTask;

    public async ValueTask InitializeAsync() => _store = await CreateStoreAsync().Bounded();

    public async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await DisposeStoreAsync(_store);
        }

        GC.SuppressFinalize(this);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PushDevice Ios(string user, string device, string voip = "voip-1", string apns = "apns-1") =>
        new(user, device, DevicePlatform.Ios, VoipToken: voip, ApnsToken: apns, BundleId: "com.example.app", Sandbox: true);

    private static PushDevice Android(string user, string device, string fcm = "fcm-1") =>
        new(user, device, DevicePlatform.Android, FcmToken: fcm);

    [Fact]
    public async Task Upsert_then_get_returns_the_record()
    {
        var device = Ios("u1", "d1");
        await Store.UpsertAsync(device, Ct).Bounded();

        Assert.Equal(device, await Store.GetAsync("u1", "d1", Ct).Bounded());
    }

    [Fact]
    public async Task Get_unknown_device_or_user_returns_null_and_empty()
    {
        await Store.UpsertAsync(Ios("u1", "d1"), Ct).Bounded();

        Assert.Null(await Store.GetAsync("u1", "other", Ct).Bounded());
        Assert.Null(await Store.GetAsync("nobody", "d1", Ct).Bounded());
        Assert.Empty(await Store.GetForUserAsync("nobody", Ct).Bounded());
    }

    [Fact]
    public async Task Upsert_replaces_the_whole_record()
    {
        await Store.UpsertAsync(Ios("u1", "d1", voip: "old-voip", apns: "old-apns"), Ct).Bounded();
        var replacement = new PushDevice("u1", "d1", DevicePlatform.Ios, VoipToken: "new-voip");
        await Store.UpsertAsync(replacement, Ct).Bounded();

        var stored = await Store.GetAsync("u1", "d1", Ct).Bounded();
        Assert.Equal(replacement, stored);
        Assert.Null(stored!.ApnsToken);
        Assert.Single(await Store.GetForUserAsync("u1", Ct).Bounded());
    }

    [Fact]
    public async Task GetForUser_lists_only_that_users_devices_ordered_by_device_id()
    {
        await Store.UpsertAsync(Android("u1", "b"), Ct).Bounded();
        await Store.UpsertAsync(Ios("u1", "a"), Ct).Bounded();
        await Store.UpsertAsync(Android("u2", "c"), Ct).Bounded();

        var devices = await Store.GetForUserAsync("u1", Ct).Bounded();

        Assert.Equal(["a", "b"], devices.Select(d => d.DeviceId));
        Assert.All(devices, d => Assert.Equal("u1", d.UserId));
    }

    [Fact]
    public async Task Same_device_id_under_two_users_are_two_records()
    {
        await Store.UpsertAsync(Android("u1", "phone", fcm: "t1"), Ct).Bounded();
        await Store.UpsertAsync(Android("u2", "phone", fcm: "t2"), Ct).Bounded();

        Assert.Equal("t1", (await Store.GetAsync("u1", "phone", Ct).Bounded())!.FcmToken);
        Assert.Equal("t2", (await Store.GetAsync("u2", "phone", Ct).Bounded())!.FcmToken);
    }

    [Fact]
    public async Task Delete_removes_one_device_and_reports_whether_it_existed()
    {
        await Store.UpsertAsync(Ios("u1", "d1"), Ct).Bounded();
        await Store.UpsertAsync(Android("u1", "d2"), Ct).Bounded();

        Assert.True(await Store.DeleteAsync("u1", "d1", Ct).Bounded());
        Assert.False(await Store.DeleteAsync("u1", "d1", Ct).Bounded());
        Assert.False(await Store.DeleteAsync("nobody", "d2", Ct).Bounded());
        Assert.Equal(["d2"], (await Store.GetForUserAsync("u1", Ct).Bounded()).Select(d => d.DeviceId));
    }

    [Fact]
    public async Task Delete_last_device_leaves_user_with_none()
    {
        await Store.UpsertAsync(Ios("u1", "d1"), Ct).Bounded();
        await Store.DeleteAsync("u1", "d1", Ct).Bounded();

        Assert.Empty(await Store.GetForUserAsync("u1", Ct).Bounded());
    }

    [Theory]
    [InlineData(PushTokenKind.Voip)]
    [InlineData(PushTokenKind.Apns)]
    public async Task RemoveToken_clears_only_that_token(PushTokenKind kind)
    {
        var device = Ios("u1", "d1", voip: "the-voip", apns: "the-apns");
        await Store.UpsertAsync(device, Ct).Bounded();

        Assert.True(await Store.RemoveTokenAsync("u1", "d1", kind, device.GetToken(kind)!, Ct).Bounded());

        var stored = (await Store.GetAsync("u1", "d1", Ct).Bounded())!;
        Assert.Null(stored.GetToken(kind));
        Assert.Equal(device.WithoutToken(kind), stored);
    }

    [Fact]
    public async Task RemoveToken_fcm()
    {
        await Store.UpsertAsync(Android("u1", "d1", fcm: "dead"), Ct).Bounded();

        Assert.True(await Store.RemoveTokenAsync("u1", "d1", PushTokenKind.Fcm, "dead", Ct).Bounded());
        Assert.Null((await Store.GetAsync("u1", "d1", Ct).Bounded())!.FcmToken);
    }

    [Fact]
    public async Task RemoveToken_keeps_a_token_that_was_re_registered_meanwhile()
    {
        await Store.UpsertAsync(Android("u1", "d1", fcm: "fresh"), Ct).Bounded();

        Assert.False(await Store.RemoveTokenAsync("u1", "d1", PushTokenKind.Fcm, "stale", Ct).Bounded());
        Assert.Equal("fresh", (await Store.GetAsync("u1", "d1", Ct).Bounded())!.FcmToken);
    }

    [Fact]
    public async Task RemoveToken_on_unknown_device_is_false()
    {
        Assert.False(await Store.RemoveTokenAsync("u1", "nope", PushTokenKind.Voip, "t", Ct).Bounded());
    }

    [Fact]
    public async Task Upsert_rejects_missing_ids()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.UpsertAsync(Ios("", "d1"), Ct)).Bounded();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.UpsertAsync(Ios("u1", ""), Ct)).Bounded();
    }

    [Fact]
    public async Task Concurrent_writers_lose_nothing()
    {
        var writes = Enumerable.Range(0, 200).Select(i => Task.Run(
            () => Store.UpsertAsync(Android($"u{i % 5}", $"d{i}", fcm: $"t{i}"), Ct), Ct));
        await Task.WhenAll(writes).Bounded();

        var total = 0;
        for (var u = 0; u < 5; u++)
        {
            total += (await Store.GetForUserAsync($"u{u}", Ct).Bounded()).Count;
        }

        Assert.Equal(200, total);
    }
}

public sealed class InMemoryDeviceStoreTests : DeviceStoreSpecification
{
    protected override Task<IDeviceStore> CreateStoreAsync() => Task.FromResult<IDeviceStore>(new InMemoryDeviceStore());
}
