using System.Net;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Cluster;

/// <summary>
/// A node frozen past <c>Cluster:NodeTimeout</c> (SIGSTOP, like a long pause or a suspended VM) is presumed dead: the
/// survivor evicts its sockets. When it resumes, those sockets are still connected but in no room and no longer
/// present for invitations, so the node must disconnect them for their clients to reconnect and join again
/// (Signaling.Rooms/Redis/README.md, "Node failure").
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NodePausedTests(TwoNodeCluster cluster) : ClusterTests(cluster), IClassFixture<TwoNodeCluster>
{
    private static readonly TimeSpan LeaveWithin = TwoNodeCluster.NodeTimeout + TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sockets_of_a_node_presumed_dead_are_disconnected_when_it_resumes_so_that_their_clients_rejoin()
    {
        var room = "cluster-" + Guid.NewGuid().ToString("N");
        var (xena, yuri) = (Ids.User("xena"), Ids.User("yuri"));
        await using var survivor = await TwoNodeCluster.ConnectAsync(B, yuri, "yuri-phone");
        await using var frozen = await TwoNodeCluster.ConnectAsync(A, xena, "xena-phone");
        Assert.Empty((await frozen.EmitWithAckAsync("join", room))[0].EnumerateArray());
        Assert.Equal([frozen.Id], (await survivor.EmitWithAckAsync("join", room))[0].EnumerateArray().Select(e => e.GetString()));

        await A.PauseAsync();
        try
        {
            // B declares A dead and evicts its socket.
            var left = await survivor.NextEventAsync("leave").WaitAsync(LeaveWithin, TestContext.Current.CancellationToken);
            Assert.Equal(frozen.Id, left.GetString());
        }
        finally
        {
            await A.ResumeAsync();
        }

        // A finds its heartbeat gone, puts its peers back in the directory, and must close the evicted socket.
        var disconnected = await frozen.NextOfTypeAsync("disconnect");
        Log($"The evicted socket on node A was disconnected after the resume: {disconnected}");

        // A transport close: socket.io-client does not reconnect after "io server disconnect" (a DISCONNECT packet).
        Assert.NotEqual("io server disconnect", disconnected.Str("reason"));

        // Its client reconnects and joins again: the room is whole, invitations ring it.
        await using var back = await TwoNodeCluster.ConnectAsync(A, xena, "xena-phone");
        Assert.Equal([survivor.Id], (await back.EmitWithAckAsync("join", room))[0].EnumerateArray().Select(e => e.GetString()));
        using var yuriViaB = B.Client(yuri);
        var id = (await yuriViaB.SendInvitation(new { invitees = new[] { xena }, timeout = 30 })).Str("invitationId");
        var ringing = await back.NextEventAsync("incomingInvitationReceived", e => e.Str("invitationId") == id);
        Assert.Equal(xena, ringing.Str("invitee"));
        await (await yuriViaB.Cancel(id)).Expect(HttpStatusCode.OK);
    }
}
