using Microsoft.Extensions.Options;
using Signaling.Rooms.Redis;
using Signaling.Rooms.Relay;
using Signaling.Rooms.Tests.TestSupport;
using Signaling.TestKit;

namespace Signaling.Rooms.Tests.Redis;

/// <summary>What every <see cref="IRoomStore"/> must do; subclassed per store (in memory, Redis).</summary>
public abstract class RoomStoreSpecification
{
    private readonly Lazy<IRoomStore> _store;

    protected RoomStoreSpecification() => _store = new Lazy<IRoomStore>(CreateStore);

    protected IRoomStore Store => _store.Value;

    /// <summary>A fresh, empty store.</summary>
    protected abstract IRoomStore CreateStore();

    private static IReadOnlyList<string> Sorted(IEnumerable<string>? ids) => [.. (ids ?? throw new Xunit.Sdk.XunitException("null")).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Join_returns_the_members_that_were_there_before_the_joiner()
    {
        Assert.Empty((await Store.JoinAsync("r", "a", 0).WithTimeout())!);
        Assert.Equal(["a"], (await Store.JoinAsync("r", "b", 0).WithTimeout())!);
        Assert.Equal(["a", "b"], Sorted(await Store.JoinAsync("r", "c", 0).WithTimeout()));
    }

    [Fact]
    public async Task Joining_again_is_harmless_and_does_not_count_twice()
    {
        await Store.JoinAsync("r", "a", 2).WithTimeout();
        await Store.JoinAsync("r", "b", 2).WithTimeout();

        Assert.Equal(["b"], (await Store.JoinAsync("r", "a", 2).WithTimeout())!);
        Assert.Equal(["r"], await Store.GetRoomsAsync("a").WithTimeout());
        Assert.Equal(["a"], (await Store.LeaveAsync("r", "b").WithTimeout())!);
    }

    [Fact]
    public async Task A_full_room_refuses_a_new_member_and_stays_unchanged()
    {
        await Store.JoinAsync("r", "a", 2).WithTimeout();
        await Store.JoinAsync("r", "b", 2).WithTimeout();

        Assert.Null(await Store.JoinAsync("r", "c", 2).WithTimeout());
        Assert.Empty(await Store.GetRoomsAsync("c").WithTimeout());
        Assert.Equal(["a"], (await Store.LeaveAsync("r", "b").WithTimeout())!);
        Assert.Equal(["a"], (await Store.JoinAsync("r", "c", 2).WithTimeout())!);
    }

    [Fact]
    public async Task Max_size_zero_means_no_limit()
    {
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(i, (await Store.JoinAsync("big", $"p{i}", 0).WithTimeout())!.Count);
        }
    }

    [Fact]
    public async Task Concurrent_joins_never_overfill_a_room_and_each_sees_a_consistent_snapshot()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(async () => (Peer: $"p{i}", Members: await Store.JoinAsync("r", $"p{i}", 5))))).WithTimeout();

        var joined = results.Where(r => r.Members is not null).ToList();
        Assert.Equal(5, joined.Count);

        // Atomic joins: the snapshots are 0, 1, 2, 3 and 4 members long, each one the previous plus its joiner.
        var ordered = joined.OrderBy(r => r.Members!.Count).ToList();
        Assert.Equal([0, 1, 2, 3, 4], ordered.Select(r => r.Members!.Count));
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.Equal(Sorted([.. ordered[i - 1].Members!, ordered[i - 1].Peer]), Sorted(ordered[i].Members));
        }

        foreach (var (peer, _) in results.Where(r => r.Members is null))
        {
            Assert.Empty(await Store.GetRoomsAsync(peer).WithTimeout());
        }
    }

    [Fact]
    public async Task Leave_returns_the_remaining_members_or_null_when_not_in_the_room()
    {
        await Store.JoinAsync("r", "a", 0).WithTimeout();
        await Store.JoinAsync("r", "b", 0).WithTimeout();

        Assert.Null(await Store.LeaveAsync("r", "c").WithTimeout());
        Assert.Null(await Store.LeaveAsync("other", "a").WithTimeout());
        Assert.Equal(["b"], (await Store.LeaveAsync("r", "a").WithTimeout())!);
        Assert.Null(await Store.LeaveAsync("r", "a").WithTimeout());
        Assert.Empty((await Store.LeaveAsync("r", "b").WithTimeout())!);

        // The last one out empties the room.
        Assert.Empty((await Store.JoinAsync("r", "c", 0).WithTimeout())!);
    }

    [Fact]
    public async Task LeaveAll_leaves_every_room_and_reports_who_remains_in_each()
    {
        await Store.JoinAsync("r1", "a", 0).WithTimeout();
        await Store.JoinAsync("r1", "b", 0).WithTimeout();
        await Store.JoinAsync("r2", "a", 0).WithTimeout();
        await Store.JoinAsync("r3", "b", 0).WithTimeout();
        await Store.JoinAsync("r3", "a", 0).WithTimeout();
        await Store.JoinAsync("r3", "c", 0).WithTimeout();

        var left = await Store.LeaveAllAsync("a").WithTimeout();

        Assert.Equal(["r1", "r2", "r3"], left.Select(l => l.RoomId).Order(StringComparer.Ordinal));
        Assert.Equal(["b"], left.Single(l => l.RoomId == "r1").Remaining);
        Assert.Empty(left.Single(l => l.RoomId == "r2").Remaining);
        Assert.Equal(["b", "c"], Sorted(left.Single(l => l.RoomId == "r3").Remaining));
        Assert.Empty(await Store.GetRoomsAsync("a").WithTimeout());
        Assert.Empty(await Store.LeaveAllAsync("a").WithTimeout());
        Assert.Equal(["r1", "r3"], (await Store.GetRoomsAsync("b").WithTimeout()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task LeaveAll_racing_joins_keeps_both_sides_of_the_membership_in_step()
    {
        for (var round = 0; round < 5; round++)
        {
            var joins = Enumerable.Range(0, 20).Select(i => Task.Run(() => Store.JoinAsync($"r{round}-{i}", "a", 0).AsTask())).ToList();
            var leave = Task.Run(() => Store.LeaveAllAsync("a").AsTask());
            await Task.WhenAll(joins).WithTimeout();
            var left = await leave.WithTimeout();

            // Each room is either left (reported, and "a" gone from it) or still joined (listed, with "a" in it).
            var rooms = await Store.GetRoomsAsync("a").WithTimeout();
            Assert.Equal(20, left.Count + rooms.Count);
            for (var i = 0; i < 20; i++)
            {
                var room = $"r{round}-{i}";
                var members = await Store.JoinAsync(room, "probe", 0).WithTimeout();
                Assert.Equal(rooms.Contains(room), members!.Contains("a"));
                Assert.NotEqual(rooms.Contains(room), left.Any(l => l.RoomId == room));
            }

            await Store.LeaveAllAsync("a").WithTimeout();
        }
    }

    [Fact]
    public async Task ShareRoom_is_true_only_for_peers_with_a_common_room()
    {
        await Store.JoinAsync("r1", "a", 0).WithTimeout();
        await Store.JoinAsync("r1", "b", 0).WithTimeout();
        await Store.JoinAsync("r2", "c", 0).WithTimeout();

        Assert.True(await Store.ShareRoomAsync("a", "b").WithTimeout());
        Assert.True(await Store.ShareRoomAsync("b", "a").WithTimeout());
        Assert.False(await Store.ShareRoomAsync("a", "c").WithTimeout());
        Assert.False(await Store.ShareRoomAsync("a", "nobody").WithTimeout());

        await Store.LeaveAsync("r1", "b").WithTimeout();
        Assert.False(await Store.ShareRoomAsync("a", "b").WithTimeout());
    }

    [Theory]
    [InlineData("*")]
    [InlineData("room:with:colons")]
    [InlineData("?[a-z]")]
    [InlineData("ünï cödé 🎥")]
    public async Task Room_ids_are_taken_literally(string roomId)
    {
        await Store.JoinAsync("plain", "x", 0).WithTimeout();
        await Store.JoinAsync("with", "y", 0).WithTimeout();

        Assert.Empty((await Store.JoinAsync(roomId, "a", 0).WithTimeout())!);
        Assert.Equal(["a"], (await Store.JoinAsync(roomId, "b", 0).WithTimeout())!);
        Assert.Equal([roomId], await Store.GetRoomsAsync("a").WithTimeout());
        Assert.Equal(roomId, Assert.Single(await Store.LeaveAllAsync("a").WithTimeout()).RoomId);
    }
}

public sealed class InMemoryRoomStoreTests : RoomStoreSpecification
{
    protected override IRoomStore CreateStore() => new InMemoryRoomStore();
}

public sealed class RedisRoomStoreTests(RedisServerFixture redis) : RoomStoreSpecification
{
    protected override IRoomStore CreateStore() =>
        new RedisRoomStore(RedisTestConnections.SharedFor(redis), Options.Create(new RoomsRedisOptions { KeyPrefix = RedisTestConnections.NewPrefix() }));

    [Fact]
    public async Task Keys_live_under_the_prefix_only()
    {
        var prefix = RedisTestConnections.NewPrefix();
        var store = new RedisRoomStore(RedisTestConnections.SharedFor(redis), Options.Create(new RoomsRedisOptions { KeyPrefix = prefix }));
        await store.JoinAsync("*", "a", 0).WithTimeout();

        var server = RedisTestConnections.SharedFor(redis).GetServers().Single();
        var keys = server.Keys(pattern: prefix.Replace("*", "\\*", StringComparison.Ordinal) + "*").Select(k => (string)k!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([prefix + "peer:a", prefix + "room:*"], keys);
    }
}
