using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Cluster;

/// <summary>The node that took an invitation dies before its deadline: the survivor's sweeper times it out, once.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeKilledInvitationTests(TwoNodeCluster cluster) : ClusterTests(cluster), IClassFixture<TwoNodeCluster>
{
    [Fact]
    public async Task An_invitation_whose_node_was_killed_times_out_exactly_once_on_the_survivor()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var aliceSocket = await TwoNodeCluster.ConnectAsync(B, alice, "alice-phone");
        await using var bobSocket = await TwoNodeCluster.ConnectAsync(B, bob, "bob-phone");
        using var aliceViaA = A.Client(alice);
        using var aliceViaB = B.Client(alice);

        var id = (await aliceViaA.SendInvitation(new { invitees = new[] { bob }, timeout = 2 })).Str("invitationId");
        await bobSocket.NextEventAsync("incomingInvitationReceived", e => e.Str("invitationId") == id);

        // Node A has finished its part (delivery, then marking the entry received) before it dies, well before the deadline.
        await TestTimeouts.WaitUntilAsync(async () => (await Invitation(aliceViaB, id)).GetProperty("invitees")[0].Str("state") == "received", "the entry to be marked received");
        var clock = Stopwatch.StartNew();
        A.Kill();

        var outgoing = await aliceSocket.NextEventAsync("outgoingInvitationTimeout", e => e.Str("invitationId") == id);
        var incoming = await bobSocket.NextEventAsync("incomingInvitationTimeout", e => e.Str("invitationId") == id);
        Log($"Node A killed; node B timed the invitation out {clock.Elapsed.TotalSeconds:0.00} s later (2 s timeout).");
        CrossNodeTests.AssertEvent(outgoing, "outgoingInvitationTimeout", id, alice, "timeout");
        Assert.Equal([bob], outgoing.GetProperty("invitees").EnumerateArray().Select(i => i.GetString()));
        CrossNodeTests.AssertEvent(incoming, "incomingInvitationTimeout", id, alice, "timeout");
        Assert.Equal(bob, incoming.Str("invitee"));

        var final = await Invitation(aliceViaB, id);
        Assert.Equal(("timeout", "timeout"), (final.Str("state"), final.GetProperty("invitees")[0].Str("state")));
        var version = final.GetProperty("version").GetInt64();
        Assert.Equal((version, version), (outgoing.GetProperty("version").GetInt64(), incoming.GetProperty("version").GetInt64()));

        // Let B's sweeper run on for a while: an invitation sent afterwards (through B) must time out too, and only
        // then are the events counted.
        var later = (await aliceViaB.SendInvitation(new { invitees = new[] { bob }, timeout = 1 })).Str("invitationId");
        await aliceSocket.NextEventAsync("outgoingInvitationTimeout", e => e.Str("invitationId") == later);
        await bobSocket.NextEventAsync("incomingInvitationTimeout", e => e.Str("invitationId") == later);
        await aliceSocket.BarrierAsync();
        await bobSocket.BarrierAsync();

        Assert.Equal(1, Count(aliceSocket, "outgoingInvitationTimeout", id));
        Assert.Equal(1, Count(bobSocket, "incomingInvitationTimeout", id));
        Assert.Equal(1, Count(bobSocket, "incomingInvitationReceived", id));
        Assert.Equal(0, Count(aliceSocket, "outgoingInvitationAccepted", id) + Count(aliceSocket, "outgoingInvitationRejected", id));
        var after = await Invitation(aliceViaB, id);
        Assert.Equal(("timeout", version), (after.Str("state"), after.GetProperty("version").GetInt64()));
    }

    private static async Task<JsonElement> Invitation(HttpClient client, string id) => await (await client.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK);

    private static int Count(NodeSocketClient socket, string name, string invitationId) => socket.All.Count(l =>
        l.Str("type") == "event" && l.Str("name") == name && l.GetProperty("args")[0].Str("invitationId") == invitationId);
}
