using Signaling.Push.Devices;
using Signaling.Push.Redis;
using Signaling.Push.Tests.Dispatch;
using Signaling.Push.Tests.Infrastructure;
using StackExchange.Redis;

namespace Signaling.Push.Tests.Redis;

[Collection(PushRedisCollection.Name)]
public sealed class RedisPushLedgerTests(PushRedisFixture redis) : PushLedgerSpecification
{
    private readonly string _prefix = PushRedisFixture.NewPrefix();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override Task<IPushLedger> CreateLedgerAsync(TimeProvider time) => Task.FromResult<IPushLedger>(NewLedger(redis.Connection));

    private RedisPushLedger NewLedger(IConnectionMultiplexer connection) =>
        new(connection, Time, Microsoft.Extensions.Options.Options.Create(new PushRedisOptions { KeyPrefix = _prefix }));

    private PushOutcome Pending(string invitation, string device, string user = "u1") =>
        new(invitation, user, device, DevicePlatform.Ios, PushKind.Ring, PushStatus.Pending, null, null, 0, Time.GetUtcNow());

    [Fact]
    public async Task Outcomes_live_in_one_hash_per_invitation_that_Redis_expires_after_the_ledger_does()
    {
        await Ledger.TryClaimAsync(Pending("inv:1", "d1"), Time.GetUtcNow().AddMinutes(5), Ct).Bounded();

        var db = redis.Connection.GetDatabase();
        var key = _prefix + "push:inv:1";
        Assert.Equal(2, await db.HashLengthAsync(key).Bounded());
        var ttl = await db.KeyTimeToLiveAsync(key).Bounded();
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(11));
    }

    [Fact]
    public async Task A_later_expiry_extends_the_invitation_and_an_earlier_one_does_not_shorten_it()
    {
        await Ledger.TryClaimAsync(Pending("i1", "d1"), Time.GetUtcNow().AddMinutes(5), Ct).Bounded();
        await Ledger.TryClaimAsync(Pending("i1", "d2"), Time.GetUtcNow().AddMinutes(20), Ct).Bounded();
        await Ledger.TryClaimAsync(Pending("i1", "d3"), Time.GetUtcNow().AddMinutes(1), Ct).Bounded();

        Time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(["d1", "d2", "d3"], (await Ledger.GetOutcomesAsync("i1", Ct).Bounded()).Select(o => o.DeviceId));
        Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Empty(await Ledger.GetOutcomesAsync("i1", Ct).Bounded());
    }

    [Fact]
    public async Task Record_without_a_claim_is_kept_for_a_minute()
    {
        var sent = Pending("i1", "d1") with { Status = PushStatus.Sent, StatusCode = 200, Attempts = 1 };
        await Ledger.RecordAsync(sent, Ct).Bounded();

        Assert.Equal([sent], await Ledger.GetOutcomesAsync("i1", Ct).Bounded());
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(await Ledger.GetOutcomesAsync("i1", Ct).Bounded());
    }

    [Fact]
    public async Task User_ids_with_colons_do_not_collide()
    {
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "c:d", user: "a:b"), Time.GetUtcNow().AddHours(1), Ct).Bounded());
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d", user: "a:b:c"), Time.GetUtcNow().AddHours(1), Ct).Bounded());

        Assert.Equal(2, (await Ledger.GetOutcomesAsync("i1", Ct).Bounded()).Count);
    }

    [Fact]
    public async Task Two_nodes_racing_for_the_same_ring_have_one_winner()
    {
        await using var other = await redis.ConnectAsync().Bounded();
        var nodes = new IPushLedger[] { Ledger, NewLedger(other) };

        var claims = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => nodes[i % 2].TryClaimAsync(Pending("i1", "d1"), Time.GetUtcNow().AddHours(1), Ct), Ct))).Bounded();

        Assert.Equal(1, claims.Count(c => c));
        Assert.Single(await nodes[1].GetOutcomesAsync("i1", Ct).Bounded());
    }
}
