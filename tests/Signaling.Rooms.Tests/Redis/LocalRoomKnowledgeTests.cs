using System.Text.Json;
using Signaling.Rooms.Tests.TestSupport;
using Signaling.TestKit;
using StackExchange.Redis;

namespace Signaling.Rooms.Tests.Redis;

/// <summary>
/// Whether sender and target share a room: answered by the node for two peers connected to it, by Redis otherwise.
/// A private redis-server, so that its command counts are this class's alone.
/// </summary>
public sealed class LocalRoomKnowledgeTests : IAsyncLifetime
{
    private readonly RedisServerFixture _redis = new();
    private readonly string _prefix = RedisTestConnections.NewPrefix();
    private TestNode _a = null!;
    private TestNode _b = null!;

    public async ValueTask InitializeAsync()
    {
        await _redis.InitializeAsync();
        _a = await TestNode.StartAsync(_redis, _prefix, "node-a");
        _b = await TestNode.StartAsync(_redis, _prefix, "node-b");
    }

    public async ValueTask DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement;

    private static JsonElement Room(string room) => JsonSerializer.SerializeToElement(room);

    private async Task<long> SinterCallsAsync()
    {
        await using var admin = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration + ",allowAdmin=true").WithTimeout();
        var info = (string)(await admin.GetDatabase().ExecuteAsync("INFO", "commandstats").WithTimeout())!;
        var line = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("cmdstat_sinter:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(',')[0]["cmdstat_sinter:calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string?> ExchangeAsync(TestNode node, string from, string to)
        => (await node.Relay.ExchangeAsync(from, Json($$"""{"to":"{{to}}","candidate":"c"}""")).WithTimeout())?.Code;

    [Fact]
    public async Task Peers_on_one_node_exchange_without_asking_Redis_and_follow_their_joins_and_leaves()
    {
        var alice = await _a.ConnectAsync("alice", "room", "other");
        var bob = await _a.ConnectAsync("bob", "room");
        var before = await SinterCallsAsync();

        for (var i = 0; i < 20; i++)
        {
            Assert.Null(await ExchangeAsync(_a, "alice", "bob"));
            Assert.Null(await ExchangeAsync(_a, "bob", "alice"));
        }

        Assert.Equal(before, await SinterCallsAsync());
        await bob.WaitForAsync(m => m.Count(x => x.Event == "exchange") == 20, "20 candidates");

        // Leaving the shared room ends it at once, on both sides; joining again restores it.
        Assert.Null(await _a.Relay.LeaveAsync("bob", Room("room")).WithTimeout());
        Assert.Equal("unknown_peer", await ExchangeAsync(_a, "alice", "bob"));
        Assert.Equal("unknown_peer", await ExchangeAsync(_a, "bob", "alice"));
        Assert.Null((await _a.Relay.JoinAsync("bob", Room("other")).WithTimeout()).Error);
        Assert.Null(await ExchangeAsync(_a, "alice", "bob"));

        await _a.Relay.DisconnectAsync("bob").WithTimeout();
        Assert.Equal("unknown_peer", await ExchangeAsync(_a, "alice", "bob"));

        // A target in no room here (after its leave, after its disconnect) may be another node's: Redis is asked.
        Assert.Equal(before + 2, await SinterCallsAsync());
    }

    [Fact]
    public async Task Peers_on_different_nodes_are_checked_in_Redis()
    {
        await _a.ConnectAsync("alice", "room");
        var bob = await _b.ConnectAsync("bob", "room");
        var before = await SinterCallsAsync();

        Assert.Null(await ExchangeAsync(_a, "alice", "bob"));
        Assert.Null(await ExchangeAsync(_b, "bob", "alice"));
        Assert.Equal(before + 2, await SinterCallsAsync());
        await bob.WaitForAsync(m => m.Any(x => x.Event == "exchange"), "alice's candidate");

        Assert.Null(await _b.Relay.LeaveAsync("bob", Room("room")).WithTimeout());
        Assert.Equal("unknown_peer", await ExchangeAsync(_a, "alice", "bob"));
        Assert.Equal("unknown_peer", await ExchangeAsync(_b, "bob", "alice"));
    }

    [Fact]
    public async Task Rooms_evicted_while_this_node_was_presumed_dead_are_forgotten_when_it_resumes()
    {
        var watcher = await _a.ConnectAsync("watcher", "room");
        await _b.ConnectAsync("alice", "room");
        await _b.ConnectAsync("bob", "room");

        _b.Monitor.Paused = true;
        await watcher.WaitForAsync(m => m.Count(x => x.Event == "leave") == 2, "alice's and bob's leave");
        _b.Monitor.Paused = false;
        await TestTimeouts.WaitUntilAsync(() => !_b.Failures.IsEmpty, "the resync on node-b");

        // Out of every room in Redis, and node-b no longer claims otherwise.
        Assert.Equal("unknown_peer", await ExchangeAsync(_b, "alice", "bob"));
    }

    [Fact]
    public async Task The_rooms_per_connection_limit_counts_joins_and_leaves()
    {
        var max = new Signaling.Rooms.Relay.RelayOptions().MaxRoomsPerPeer;
        await _a.ConnectAsync("alice", [.. Enumerable.Range(0, max).Select(i => $"r{i}")]);

        Assert.Equal("too_many_rooms", (await _a.Relay.JoinAsync("alice", Room("one-more")).WithTimeout()).Error?.Code);
        Assert.Null((await _a.Relay.JoinAsync("alice", Room("r0")).WithTimeout()).Error);
        Assert.Null(await _a.Relay.LeaveAsync("alice", Room("r0")).WithTimeout());
        Assert.Null((await _a.Relay.JoinAsync("alice", Room("one-more")).WithTimeout()).Error);
        Assert.Equal(max, (await _a.Rooms.GetRoomsAsync("alice").WithTimeout()).Count);
    }

    [Fact]
    public async Task A_peer_that_never_joined_shares_nothing()
    {
        await _a.ConnectAsync("alice", "room");
        await _a.ConnectAsync("mallory");

        Assert.Equal("unknown_peer", await ExchangeAsync(_a, "mallory", "alice"));
        Assert.Equal("unknown_peer", await ExchangeAsync(_a, "alice", "mallory"));
    }
}
