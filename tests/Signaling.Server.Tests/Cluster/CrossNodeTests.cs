using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Cluster;

/// <summary>
/// Two server processes on one Redis, with the real socket.io-client from npm: the relay and invitation events cross
/// nodes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CrossNodeTests(TwoNodeCluster cluster) : ClusterTests(cluster), IClassFixture<TwoNodeCluster>
{
    public static TheoryData<SocketClientOptions, SocketClientOptions> Pairs => new()
    {
        { new SocketClientOptions { Package = "sio4", UserId = "caller", DeviceId = "caller-phone" }, new SocketClientOptions { Package = "sio4", UserId = "callee", DeviceId = "callee-phone" } },
        { new SocketClientOptions { Package = "sio2", FieldsIn = "query", Transports = ["polling"], UserId = "caller" }, new SocketClientOptions { Package = "sio4" } },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Peers_on_different_nodes_join_one_room_exchange_offer_answer_and_candidates_and_hear_leave(SocketClientOptions onA, SocketClientOptions onB)
    {
        await using var caller = await TwoNodeCluster.ConnectAsync(A, onA);
        await using var callee = await TwoNodeCluster.ConnectAsync(B, onB);
        var room = "cluster-" + Guid.NewGuid().ToString("N");

        Assert.Empty((await caller.EmitWithAckAsync("join", room))[0].EnumerateArray());
        Assert.Equal([caller.Id], (await callee.EmitWithAckAsync("join", room))[0].EnumerateArray().Select(e => e.GetString()));

        await ExchangeAsync(caller, callee, Session(callee.Id, "offer"));
        await ExchangeAsync(callee, caller, Session(caller.Id, "answer"));

        await caller.DisconnectAsync();
        Assert.Equal(caller.Id, (await callee.NextEventAsync("leave")).GetString());

        // Nothing was delivered twice: five exchanges and one leave, then the barrier's own ack.
        await callee.BarrierAsync();
        Assert.Equal(["exchange", "exchange", "exchange", "exchange", "exchange", "leave"], callee.EventNames);
    }

    [Fact]
    public async Task An_invitation_sent_through_one_node_rings_a_socket_on_the_other_and_the_accept_reaches_the_inviter_back()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var aliceSocket = await TwoNodeCluster.ConnectAsync(A, alice, "alice-phone");
        await using var bobSocket = await TwoNodeCluster.ConnectAsync(B, new SocketClientOptions { Package = "sio2", FieldsIn = "query", UserId = bob, DeviceId = "bob-phone" });
        using var aliceViaA = A.Client(alice);
        using var bobViaB = B.Client(bob);

        var sent = await aliceViaA.SendInvitation(new { invitees = new[] { bob }, timeout = 60, roomId = "call-7", extendedData = "{\"video\":true}" });
        var id = sent.Str("invitationId");

        var ringing = await bobSocket.NextEventAsync("incomingInvitationReceived", e => e.Str("invitationId") == id);
        AssertEvent(ringing, "incomingInvitationReceived", id, alice, "ringing");
        Assert.Equal(1, ringing.GetProperty("version").GetInt64());
        Assert.Equal((bob, "call-7", "{\"video\":true}"), (ringing.Str("invitee"), ringing.Str("roomId"), ringing.Str("extendedData")));

        var accepted = await (await bobViaB.Accept(id, "bob-phone", "ok")).Expect(HttpStatusCode.OK);
        Assert.Equal("accepted", accepted.Str("state"));
        var version = accepted.GetProperty("version").GetInt64();

        var heard = await aliceSocket.NextEventAsync("outgoingInvitationAccepted", e => e.Str("invitationId") == id);
        AssertEvent(heard, "outgoingInvitationAccepted", id, alice, "accepted");
        Assert.Equal(version, heard.GetProperty("version").GetInt64());
        Assert.Equal((bob, "bob-phone", "ok", "call-7"), (heard.Str("invitee"), heard.Str("deviceId"), heard.Str("extendedData"), heard.Str("roomId")));

        // Both nodes read the same invitation.
        var viaA = await (await aliceViaA.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK);
        Assert.Equal(("accepted", version), (viaA.Str("state"), viaA.GetProperty("version").GetInt64()));

        await aliceSocket.BarrierAsync();
        await bobSocket.BarrierAsync();
        Assert.Equal(["outgoingInvitationAccepted"], aliceSocket.EventNames);
        Assert.Equal(["incomingInvitationReceived"], bobSocket.EventNames);
    }

    internal static void AssertEvent(JsonElement e, string name, string invitationId, string inviter, string state)
    {
        Assert.Equal(name, e.Str("name"));
        Assert.Equal(invitationId, e.Str("invitationId"));
        Assert.Equal(inviter, e.Str("inviter"));
        Assert.Equal(state, e.Str("state"));
        Assert.True(e.GetProperty("version").GetInt64() >= 1);
    }

    /// <summary>An SDP description then four ICE candidates, the way react-native-webrtc apps send them.</summary>
    private static JsonObject[] Session(string to, string type)
    {
        var messages = new List<JsonObject>
        {
            new()
            {
                ["to"] = to,
                ["sdp"] = new JsonObject
                {
                    ["type"] = type,
                    ["sdp"] = $"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=msid-semantic: WMS ✓ {type}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
                },
            },
        };
        for (var i = 0; i < 4; i++)
        {
            messages.Add(new JsonObject
            {
                ["to"] = to,
                ["candidate"] = new JsonObject
                {
                    ["candidate"] = $"candidate:{i} 1 udp 2122260223 192.168.1.{10 + i} {50000 + i} typ host generation 0 ufrag EsAw network-id {i}",
                    ["sdpMid"] = (i % 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["sdpMLineIndex"] = i % 2,
                },
            });
        }

        // A client-sent "from" is replaced by the server, across nodes too.
        messages[^1]["from"] = "mallory";
        return [.. messages];
    }

    /// <summary>Sends each message (acked) and checks that the peer gets them in order, unchanged but for <c>from</c>.</summary>
    private static async Task ExchangeAsync(NodeSocketClient sender, NodeSocketClient receiver, JsonObject[] messages)
    {
        foreach (var message in messages)
        {
            var ack = await sender.EmitWithAckAsync("exchange", message);
            Assert.True(ack.GetArrayLength() == 0 || ack[0].ValueKind == JsonValueKind.Null, $"exchange ack: {ack}");
        }

        foreach (var message in messages)
        {
            var received = JsonNode.Parse((await receiver.NextEventAsync("exchange")).GetRawText())!.AsObject();
            Assert.Equal(sender.Id, (string?)received["from"]);
            received.Remove("from");
            var expected = message.DeepClone().AsObject();
            expected.Remove("from");
            Assert.True(JsonNode.DeepEquals(expected, received), $"sent {expected.ToJsonString()}\nreceived {received.ToJsonString()}");
        }
    }
}
