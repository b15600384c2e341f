using System.Diagnostics;
using System.Text.Json;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Cluster;

/// <summary>A node dies without a word (SIGKILL): the survivor evicts its sockets from their rooms.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeKilledRelayTests(TwoNodeCluster cluster) : ClusterTests(cluster), IClassFixture<TwoNodeCluster>
{
    // NodeTimeout plus a heartbeat interval is the design bound; the rest is room for two busy cores.
    private static readonly TimeSpan LeaveWithin = TwoNodeCluster.NodeTimeout + TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sockets_of_a_node_killed_with_SIGKILL_leave_their_rooms_and_the_peer_on_the_survivor_hears_leave()
    {
        var (first, second) = ("cluster-" + Guid.NewGuid().ToString("N"), "cluster-" + Guid.NewGuid().ToString("N"));
        await using var survivor = await TwoNodeCluster.ConnectAsync(B, Ids.User("yuri"), "yuri-phone");
        await using var doomed1 = await TwoNodeCluster.ConnectAsync(A, Ids.User("xena"), "xena-phone");
        await using var doomed2 = await TwoNodeCluster.ConnectAsync(A, new SocketClientOptions { Package = "sio2", FieldsIn = "query", Transports = ["polling"] });
        Assert.Empty((await doomed1.EmitWithAckAsync("join", first))[0].EnumerateArray());
        Assert.Empty((await doomed2.EmitWithAckAsync("join", second))[0].EnumerateArray());
        Assert.Equal([doomed1.Id], Members(await survivor.EmitWithAckAsync("join", first)));
        Assert.Equal([doomed2.Id], Members(await survivor.EmitWithAckAsync("join", second)));

        var clock = Stopwatch.StartNew();
        A.Kill();
        var left = new List<string>();
        while (left.Count < 2)
        {
            var remaining = LeaveWithin - clock.Elapsed;
            Assert.True(remaining > TimeSpan.Zero, $"Only {left.Count} of 2 leaves within {LeaveWithin.TotalSeconds:0} s of the kill: [{string.Join(", ", left)}].");
            left.Add((await survivor.NextEventAsync("leave").WaitAsync(remaining, TestContext.Current.CancellationToken)).GetString()!);
        }

        var elapsed = clock.Elapsed;
        Log($"kill -9 of node A -> 'leave' of both its sockets at the peer on node B after {elapsed.TotalSeconds:0.00} s (Cluster:NodeTimeout {TwoNodeCluster.NodeTimeout.TotalSeconds:0} s).");
        Assert.Equal(new[] { doomed1.Id, doomed2.Id }.Order(StringComparer.Ordinal), left.Order(StringComparer.Ordinal));

        // The rooms in Redis no longer hold them: a newcomer sees only the survivor, who cannot reach the dead peers.
        await using var newcomer = await TwoNodeCluster.ConnectAsync(B);
        Assert.Equal([survivor.Id], Members(await newcomer.EmitWithAckAsync("join", first)));
        Assert.Equal([survivor.Id], Members(await newcomer.EmitWithAckAsync("join", second)));
        var refused = await survivor.EmitWithAckAsync("exchange", new { to = doomed1.Id, candidate = new { candidate = "late" } });
        Assert.Equal("unknown_peer", refused[0].GetProperty("error").Str("code"));

        await survivor.BarrierAsync();
        Assert.Equal(["leave", "leave"], survivor.EventNames);
    }

    private static string[] Members(JsonElement ack) => [.. ack[0].EnumerateArray().Select(e => e.GetString()!)];
}
