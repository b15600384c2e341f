using Signaling.Push.Devices;
using Signaling.Push.Redis;
using Signaling.Push.Tests.Devices;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Redis;

[Collection(PushRedisCollection.Name)]
public sealed class RedisDeviceStoreTests(PushRedisFixture redis) : DeviceStoreSpecification
{
    private readonly string _prefix = PushRedisFixture.NewPrefix();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override Task<IDeviceStore> CreateStoreAsync() => Task.FromResult<IDeviceStore>(NewStore(redis.Connection));

    private RedisDeviceStore NewStore(StackExchange.Redis.IConnectionMultiplexer connection) =>
        new(connection, Microsoft.Extensions.Options.Options.Create(new PushRedisOptions { KeyPrefix = _prefix }));

    [Fact]
    public async Task Devices_live_in_one_hash_per_user_keyed_by_device_id()
    {
        await Store.UpsertAsync(new PushDevice("alice:1", "phone", DevicePlatform.Android, FcmToken: "t"), Ct).Bounded();

        var db = redis.Connection.GetDatabase();
        var fields = await db.HashKeysAsync(_prefix + "devices:alice:1").Bounded();
        Assert.Equal(["phone"], fields.Select(f => (string)f!));

        await Store.DeleteAsync("alice:1", "phone", Ct).Bounded();
        Assert.False(await db.KeyExistsAsync(_prefix + "devices:alice:1").Bounded());
    }

    [Fact]
    public async Task A_device_registered_on_one_node_is_seen_and_changed_on_another()
    {
        await using var other = await redis.ConnectAsync().Bounded();
        var nodeB = NewStore(other);
        await Store.UpsertAsync(new PushDevice("u1", "d1", DevicePlatform.Ios, VoipToken: "v", ApnsToken: "a"), Ct).Bounded();

        Assert.Equal("v", (await nodeB.GetAsync("u1", "d1", Ct).Bounded())!.VoipToken);
        Assert.True(await nodeB.RemoveTokenAsync("u1", "d1", PushTokenKind.Voip, "v", Ct).Bounded());
        Assert.False(await Store.RemoveTokenAsync("u1", "d1", PushTokenKind.Voip, "v", Ct).Bounded());
        Assert.Equal(new PushDevice("u1", "d1", DevicePlatform.Ios, ApnsToken: "a"), await Store.GetAsync("u1", "d1", Ct).Bounded());
    }

    [Fact]
    public async Task Racing_token_removal_and_re_registration_never_loses_the_fresh_token()
    {
        for (var round = 0; round < 20; round++)
        {
            var user = $"u{round}";
            await Store.UpsertAsync(new PushDevice(user, "d1", DevicePlatform.Android, FcmToken: "stale", BundleId: "x"), Ct).Bounded();

            var remove = Task.Run(() => Store.RemoveTokenAsync(user, "d1", PushTokenKind.Fcm, "stale", Ct), Ct);
            var register = Task.Run(() => Store.UpsertAsync(new PushDevice(user, "d1", DevicePlatform.Android, FcmToken: "fresh"), Ct), Ct);
            await Task.WhenAll(remove, register).Bounded();

            var stored = (await Store.GetAsync(user, "d1", Ct).Bounded())!;

            // Either the removal came first and the re-registration replaced the record, or it found the fresh token and left it.
            Assert.Equal(new PushDevice(user, "d1", DevicePlatform.Android, FcmToken: "fresh"), stored);
        }
    }
}
