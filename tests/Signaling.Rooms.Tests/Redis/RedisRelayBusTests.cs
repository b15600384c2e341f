using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Signaling.Rooms.Relay;
using Signaling.Rooms.Tests.TestSupport;
using Signaling.TestKit;
using StackExchange.Redis;

namespace Signaling.Rooms.Tests.Redis;

/// <summary>Two nodes on one Redis, each with its own connection, bus and heartbeat.</summary>
public sealed class RedisRelayBusTests(RedisServerFixture redis) : IAsyncLifetime
{
    private readonly string _prefix = RedisTestConnections.NewPrefix();
    private TestNode _a = null!;
    private TestNode _b = null!;

    public async ValueTask InitializeAsync()
    {
        _a = await TestNode.StartAsync(redis, _prefix, "node-a");
        _b = await TestNode.StartAsync(redis, _prefix, "node-b");
    }

    public async ValueTask DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    private static RelayMessage Message(string eventName, string json) => new(eventName, Encoding.UTF8.GetBytes(json));

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public async Task A_peer_on_one_node_is_reachable_from_the_other_in_order()
    {
        var bob = await _b.ConnectAsync("bob");

        for (var i = 0; i < 200; i++)
        {
            Assert.True(await _a.Bus.SendAsync("bob", Message("exchange", $"{{\"n\":{i}}}")).WithTimeout());
        }

        await bob.WaitForAsync(m => m.Count == 200, "200 messages");
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"{{\"n\":{i}}}"), bob.Texts("exchange"));
        Assert.Equal(200, _a.RedisBus.Published);
        Assert.Equal(200, _b.RedisBus.Received);
    }

    [Fact]
    public async Task Local_peers_are_served_without_Redis()
    {
        var alice = await _a.ConnectAsync("alice");

        Assert.True(await _a.Bus.SendAsync("alice", Message("exchange", "{}")).WithTimeout());

        Assert.Single(alice.Received);
        Assert.Equal(0, _a.RedisBus.Published);
        Assert.Equal(0, _b.RedisBus.Received);
    }

    [Fact]
    public async Task Sending_to_an_unknown_or_departed_peer_is_false()
    {
        Assert.False(await _a.Bus.SendAsync("nobody", Message("exchange", "{}")).WithTimeout());

        var bob = await _b.ConnectAsync("bob");
        await _b.Relay.DisconnectAsync("bob").WithTimeout();
        Assert.False(await _a.Bus.SendAsync("bob", Message("exchange", "{}")).WithTimeout());
        Assert.False(await _b.Bus.SendAsync("bob", Message("exchange", "{}")).WithTimeout());
        Assert.Empty(bob.Received);
    }

    [Fact]
    public async Task Exchange_and_leave_cross_nodes_through_the_relay()
    {
        var alice = await _a.ConnectAsync("alice", "room");
        var bob = await _b.ConnectAsync("bob");
        var (members, _) = await _b.Relay.JoinAsync("bob", JsonSerializer.SerializeToElement("room")).WithTimeout();
        Assert.Equal(["alice"], members!);

        Assert.Null(await _a.Relay.ExchangeAsync("alice", Json("""{"to":"bob","sdp":"v=0"}""")).WithTimeout());
        await bob.WaitForAsync(m => m.Count == 1, "the offer");
        using (var offer = JsonDocument.Parse(bob.Received[0].Argument))
        {
            Assert.Equal("alice", offer.RootElement.GetProperty("from").GetString());
            Assert.Equal("v=0", offer.RootElement.GetProperty("sdp").GetString());
        }

        Assert.Null(await _b.Relay.LeaveAsync("bob", JsonSerializer.SerializeToElement("room")).WithTimeout());
        await alice.WaitForAsync(m => m.Any(x => x.Event == "leave"), "bob's leave");
        Assert.Equal(["\"bob\""], alice.Texts("leave"));

        // No longer sharing a room: the relay refuses, wherever the peers are.
        Assert.Equal("unknown_peer", (await _a.Relay.ExchangeAsync("alice", Json("""{"to":"bob"}""")).WithTimeout())?.Code);
    }

    [Fact]
    public async Task A_disconnect_on_one_node_is_announced_on_the_other()
    {
        var alice = await _a.ConnectAsync("alice", "r1", "r2");
        await _b.ConnectAsync("bob", "r1", "r2");

        await _b.Relay.DisconnectAsync("bob").WithTimeout();

        await alice.WaitForAsync(m => m.Count(x => x.Event == "leave") == 2, "a leave per shared room");
        Assert.Empty(await _a.Rooms.GetRoomsAsync("bob").WithTimeout());
    }

    [Fact]
    public async Task Live_nodes_are_never_declared_dead()
    {
        var bob = await _b.ConnectAsync("bob", "room");
        await _a.ConnectAsync("alice", "room");

        // Well past the node timeout, with both nodes beating.
        var ticks = _a.Monitor.Ticks;
        await TestTimeouts.WaitUntilAsync(() => _a.Monitor.Ticks > ticks + (3 * TestNode.NodeTimeout / TestNode.HeartbeatInterval), "a dozen heartbeats");

        Assert.Empty(_a.Failures);
        Assert.Empty(_b.Failures);
        Assert.True(await _a.Bus.SendAsync("bob", Message("exchange", "{}")).WithTimeout());
        Assert.True(await _a.Rooms.ShareRoomAsync("alice", "bob").WithTimeout());
        await bob.WaitForAsync(m => m.Count == 1, "the message");
    }

    [Fact]
    public async Task When_a_node_dies_a_survivor_evicts_its_peers_and_announces_leave_within_the_timeout()
    {
        var alice = await _a.ConnectAsync("alice", "r1", "r2");
        await _b.ConnectAsync("bob", "r1");
        await _b.ConnectAsync("carol", "r1", "r2");

        var clock = Stopwatch.StartNew();
        await _b.CrashAsync();
        await alice.WaitForAsync(m => m.Count(x => x.Event == "leave") == 3, "leave for bob (r1) and carol (r1, r2)");
        var elapsed = clock.Elapsed;

        // The bound is NodeTimeout plus one check period after the last heartbeat; the rest is slack for a busy machine.
        Assert.True(elapsed < TestNode.NodeTimeout + TestNode.HeartbeatInterval + TimeSpan.FromSeconds(3), $"took {elapsed}");
        Assert.Equal(["\"bob\"", "\"carol\"", "\"carol\""], alice.Texts("leave").Order(StringComparer.Ordinal));
        Assert.Empty(await _a.Rooms.GetRoomsAsync("bob").WithTimeout());
        Assert.Empty(await _a.Rooms.GetRoomsAsync("carol").WithTimeout());
        Assert.False(await _a.Bus.SendAsync("carol", Message("exchange", "{}")).WithTimeout());

        await TestTimeouts.WaitUntilAsync(() => !_a.Failures.IsEmpty, "the node failure hook");
        var failure = Assert.Single(_a.Failures);
        Assert.Equal(("node-b", false), (failure.NodeId, failure.IsThisNode));
        Assert.Equal(["bob", "carol"], failure.PeerIds.Order(StringComparer.Ordinal));

        // Nothing of node-b is left in Redis, and nobody announces it again.
        var db = _a.Redis.GetDatabase();
        await TestTimeouts.WaitUntilAsync(() => !db.SetContains(_prefix + "nodes", "node-b"), "node-b forgotten");
        Assert.False(await db.KeyExistsAsync(_prefix + "nodes:node-b:peers").WithTimeout());
        Assert.False(await db.KeyExistsAsync(_prefix + "nodes:node-b:cleanup").WithTimeout());
        Assert.Equal(["alice"], (await db.HashKeysAsync(_prefix + "directory").WithTimeout()).Select(k => (string)k!));
        var ticks = _a.Monitor.Ticks;
        await TestTimeouts.WaitUntilAsync(() => _a.Monitor.Ticks > ticks + 4, "more checks");
        Assert.Equal(3, alice.Received.Count(x => x.Event == "leave"));
        Assert.Single(_a.Failures);
    }

    [Fact]
    public async Task Of_several_survivors_exactly_one_cleans_up()
    {
        await using var c = await TestNode.StartAsync(redis, _prefix, "node-c");
        var alice = await _a.ConnectAsync("alice", "room");
        var carl = await c.ConnectAsync("carl", "room");
        await _b.ConnectAsync("bob", "room");

        await _b.CrashAsync();
        await alice.WaitForAsync(m => m.Any(x => x.Event == "leave"), "bob's leave at alice");
        await carl.WaitForAsync(m => m.Any(x => x.Event == "leave"), "bob's leave at carl");
        await TestTimeouts.WaitUntilAsync(() => _a.Failures.Count + c.Failures.Count > 0, "the node failure hook");
        var ticks = _a.Monitor.Ticks;
        await TestTimeouts.WaitUntilAsync(() => _a.Monitor.Ticks > ticks + 4, "more checks");

        Assert.Equal(["\"bob\""], alice.Texts("leave"));
        Assert.Equal(["\"bob\""], carl.Texts("leave"));
        Assert.Equal(1, _a.Failures.Count + c.Failures.Count);
    }

    [Fact]
    public async Task A_clean_stop_lets_the_survivors_evict_what_it_left_without_waiting_for_the_timeout()
    {
        var alice = await _a.ConnectAsync("alice", "room");
        await _b.ConnectAsync("bob", "room");

        await _b.StopAsync();

        await alice.WaitForAsync(m => m.Any(x => x.Event == "leave"), "bob's leave");
        Assert.Equal(["\"bob\""], alice.Texts("leave"));
    }

    [Fact]
    public async Task A_node_presumed_dead_puts_its_peers_back_and_reports_them_when_it_resumes()
    {
        var alice = await _a.ConnectAsync("alice", "room");
        var bob = await _b.ConnectAsync("bob", "room");

        // node-b stalls past the timeout (a pause, a partition): node-a evicts bob.
        _b.Monitor.Paused = true;
        await alice.WaitForAsync(m => m.Any(x => x.Event == "leave"), "bob's leave");
        await TestTimeouts.WaitUntilAsync(() => !_a.Failures.IsEmpty, "the failure on node-a");
        Assert.False(await _a.Bus.SendAsync("bob", Message("exchange", "{}")).WithTimeout());

        // It resumes: bob is reachable again, out of every room, and node-b's host is told to disconnect him.
        _b.Monitor.Paused = false;
        await TestTimeouts.WaitUntilAsync(() => !_b.Failures.IsEmpty, "the failure on node-b");
        var failure = Assert.Single(_b.Failures);
        Assert.Equal(("node-b", true), (failure.NodeId, failure.IsThisNode));
        Assert.Equal(["bob"], failure.PeerIds);
        Assert.True(await _a.Bus.SendAsync("bob", Message("exchange", "{}")).WithTimeout());
        await bob.WaitForAsync(m => m.Count == 1, "a message after the resync");
        Assert.Empty(await _a.Rooms.GetRoomsAsync("bob").WithTimeout());
    }

    [Fact]
    public async Task Channels_are_literal_and_per_node()
    {
        // A pattern subscriber on the same prefix sees node channels only by their literal names.
        var subscriber = RedisTestConnections.SharedFor(redis).GetSubscriber();
        var seen = new List<string>();
        await subscriber.SubscribeAsync(RedisChannel.Pattern(_prefix + "node:*"), (channel, _) =>
        {
            lock (seen)
            {
                seen.Add(channel!);
            }
        }).WithTimeout();

        await _b.ConnectAsync("bob");
        Assert.True(await _a.Bus.SendAsync("bob", Message("exchange", "{}")).WithTimeout());
        await TestTimeouts.WaitUntilAsync(() => { lock (seen) { return seen.Count == 1; } }, "the published envelope");
        Assert.Equal([_prefix + "node:node-b"], seen);
        await subscriber.UnsubscribeAsync(RedisChannel.Pattern(_prefix + "node:*")).WithTimeout();
    }
}
