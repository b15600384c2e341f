using System.Net;
using System.Text.Json;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Realtime;

/// <summary>
/// Invitation events on Socket.IO with the real socket.io-client 4.x and 2.x from npm, against the server on Kestrel.
/// </summary>
public sealed class SocketIOInvitationEventsTests(KestrelFactory factory) : IClassFixture<KestrelFactory>
{
    public static TheoryData<SocketClientOptions> Clients => new()
    {
        new SocketClientOptions { Package = "sio4", FieldsIn = "auth" },
        new SocketClientOptions { Package = "sio4", FieldsIn = "query" },
        new SocketClientOptions { Package = "sio2", FieldsIn = "query" },
        new SocketClientOptions { Package = "sio2", FieldsIn = "query", Transports = ["polling"] },
    };

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task An_online_invitee_gets_incomingInvitationReceived_at_once(SocketClientOptions client)
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var bobSocket = await Connect(client, bob, "bob-phone");
        Assert.Equal(client.Package == "sio4" ? "4." : "2.", bobSocket.Version[..2]);
        using var inviter = factory.User(alice);

        var sent = await inviter.SendInvitation(new
        {
            invitees = new[] { bob },
            timeout = 30,
            extendedData = "{\"video\":true}",
            roomId = "room-7",
            pushConfig = new { title = "Alice", content = "calling", payload = "p" },
        });

        var e = await bobSocket.NextEventAsync("incomingInvitationReceived");
        var id = sent.Str("invitationId");
        AssertEnvelope(e, "incomingInvitationReceived", id, alice, "ringing");
        Assert.Equal(1, e.GetProperty("version").GetInt64());
        Assert.Equal(bob, e.Str("invitee"));
        Assert.Equal([bob], e.GetProperty("invitees").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(30, e.GetProperty("timeout").GetInt32());
        Assert.Equal(sent.GetProperty("createTime").GetDateTimeOffset(), e.GetProperty("createTime").GetDateTimeOffset());
        Assert.Equal(sent.GetProperty("deadline").GetDateTimeOffset(), e.GetProperty("deadline").GetDateTimeOffset());
        Assert.Equal("{\"video\":true}", e.Str("extendedData"));
        Assert.Equal("room-7", e.Str("roomId"));
        Assert.Equal("Alice", e.GetProperty("pushConfig").Str("title"));

        // Delivered to a connection of the invitee: the entry is marked received.
        using var invitee = factory.User(bob);
        await TestTimeouts.WaitUntilAsync(
            async () => (await (await invitee.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK)).GetProperty("invitees")[0].Str("state") == "received",
            "the invitee's entry to become received");
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task A_connection_that_arrives_while_an_invitation_rings_gets_it_at_once(SocketClientOptions client)
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        var ringing = (await inviter.SendInvitation(bob)).Str("invitationId");
        using var other = factory.User(Ids.User("carol"));
        var cancelled = (await other.SendInvitation(bob)).Str("invitationId");
        await (await other.Cancel(cancelled)).Expect(HttpStatusCode.OK);

        await using var bobSocket = await Connect(client, bob, "bob-phone");

        var e = await bobSocket.NextEventAsync("incomingInvitationReceived");
        AssertEnvelope(e, "incomingInvitationReceived", ringing, alice, "ringing");
        Assert.Equal(bob, e.Str("invitee"));
        Assert.Equal([bob], e.GetProperty("invitees").EnumerateArray().Select(i => i.GetString()));
        Assert.True(e.TryGetProperty("createTime", out _));
        await bobSocket.BarrierAsync();
        Assert.Equal(["incomingInvitationReceived"], bobSocket.EventNames);
    }

    [Fact]
    public async Task Accepting_on_one_device_stops_the_others_and_tells_the_inviter()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var aliceSocket = await Connect(Sio4, alice, "alice-phone");
        await using var phone = await Connect(Sio4, bob, "bob-phone");
        await using var tablet = await Connect(Sio2, bob, "bob-tablet");
        using var inviter = factory.User(alice);
        using var invitee = factory.User(bob);
        var id = (await inviter.SendInvitation(new { invitees = new[] { bob }, roomId = "call-1" })).Str("invitationId");
        await phone.NextEventAsync("incomingInvitationReceived");
        await tablet.NextEventAsync("incomingInvitationReceived");

        var accepted = await (await invitee.Accept(id, "bob-phone", "hello")).Expect(HttpStatusCode.OK);
        var version = accepted.GetProperty("version").GetInt64();

        var stop = await tablet.NextEventAsync("incomingInvitationCancelled");
        AssertEnvelope(stop, "incomingInvitationCancelled", id, alice, "accepted", version);
        Assert.Equal("answeredElsewhere", stop.Str("reason"));
        Assert.Equal("bob-phone", stop.Str("deviceId"));
        Assert.Equal(bob, stop.Str("invitee"));
        var toInviter = await aliceSocket.NextEventAsync("outgoingInvitationAccepted");
        AssertEnvelope(toInviter, "outgoingInvitationAccepted", id, alice, "accepted", version);
        Assert.Equal(bob, toInviter.Str("invitee"));
        Assert.Equal("bob-phone", toInviter.Str("deviceId"));
        Assert.Equal("hello", toInviter.Str("extendedData"));
        Assert.Equal("call-1", toInviter.Str("roomId"));

        await phone.BarrierAsync();
        Assert.DoesNotContain("incomingInvitationCancelled", phone.EventNames);
    }

    [Fact]
    public async Task Refusing_on_one_device_stops_the_others_and_tells_the_inviter()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var aliceSocket = await Connect(Sio2, alice, "alice-phone");
        await using var phone = await Connect(Sio4, bob, "bob-phone");
        await using var tablet = await Connect(Sio4, bob, "bob-tablet");
        using var inviter = factory.User(alice);
        using var invitee = factory.User(bob);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");
        await tablet.NextEventAsync("incomingInvitationReceived");

        var refused = await (await invitee.PostJson($"/v1/invitations/{id}/refuse", new { deviceId = "bob-tablet", reason = "busy", extendedData = "later" })).Expect(HttpStatusCode.OK);
        var version = refused.GetProperty("version").GetInt64();

        var stop = await phone.NextEventAsync("incomingInvitationCancelled");
        AssertEnvelope(stop, "incomingInvitationCancelled", id, alice, "rejected", version);
        Assert.Equal("declinedElsewhere", stop.Str("reason"));
        Assert.Equal("bob-tablet", stop.Str("deviceId"));
        var toInviter = await aliceSocket.NextEventAsync("outgoingInvitationRejected");
        AssertEnvelope(toInviter, "outgoingInvitationRejected", id, alice, "rejected", version);
        Assert.Equal(bob, toInviter.Str("invitee"));
        Assert.Equal("bob-tablet", toInviter.Str("deviceId"));
        Assert.Equal("busy", toInviter.Str("reason"));
        Assert.Equal("later", toInviter.Str("extendedData"));

        await tablet.BarrierAsync();
        Assert.DoesNotContain("incomingInvitationCancelled", tablet.EventNames);
    }

    [Fact]
    public async Task When_another_invitee_accepts_the_rest_hear_answeredByOther()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        await using var carolSocket = await Connect(Sio4, carol, "carol-phone");
        using var inviter = factory.User(alice);
        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");
        await carolSocket.NextEventAsync("incomingInvitationReceived");

        using var invitee = factory.User(bob);
        var version = (await (await invitee.Accept(id, "bob-phone")).Expect(HttpStatusCode.OK)).GetProperty("version").GetInt64();

        var stop = await carolSocket.NextEventAsync("incomingInvitationCancelled");
        AssertEnvelope(stop, "incomingInvitationCancelled", id, alice, "accepted", version);
        Assert.Equal("answeredByOther", stop.Str("reason"));
        Assert.Equal(bob, stop.Str("answeredUserId"));
        Assert.Equal(carol, stop.Str("invitee"));
    }

    [Fact]
    public async Task When_the_inviter_cancels_every_device_of_the_invitee_hears_callerCancelled()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var phone = await Connect(Sio4, bob, "bob-phone");
        await using var tablet = await Connect(Sio2, bob, "bob-tablet");
        using var inviter = factory.User(alice);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");

        var version = (await (await inviter.Cancel(id, new { extendedData = "sorry" })).Expect(HttpStatusCode.OK)).GetProperty("version").GetInt64();

        foreach (var device in new[] { phone, tablet })
        {
            var stop = await device.NextEventAsync("incomingInvitationCancelled");
            AssertEnvelope(stop, "incomingInvitationCancelled", id, alice, "cancelled", version);
            Assert.Equal("callerCancelled", stop.Str("reason"));
            Assert.Equal("sorry", stop.Str("extendedData"));
            Assert.Equal(bob, stop.Str("invitee"));
        }
    }

    [Fact]
    public async Task At_the_deadline_the_invitee_and_the_inviter_hear_the_timeout()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var aliceSocket = await Connect(Sio4, alice, "alice-phone");
        await using var bobSocket = await Connect(Sio2, bob, "bob-phone");
        using var inviter = factory.User(alice);
        var id = (await inviter.SendInvitation(new { invitees = new[] { bob }, timeout = 1 })).Str("invitationId");

        var toInvitee = await bobSocket.NextEventAsync("incomingInvitationTimeout");
        var toInviter = await aliceSocket.NextEventAsync("outgoingInvitationTimeout");

        AssertEnvelope(toInvitee, "incomingInvitationTimeout", id, alice, "timeout");
        Assert.Equal(bob, toInvitee.Str("invitee"));
        AssertEnvelope(toInviter, "outgoingInvitationTimeout", id, alice, "timeout", toInvitee.GetProperty("version").GetInt64());
        Assert.Equal([bob], toInviter.GetProperty("invitees").EnumerateArray().Select(i => i.GetString()));
        using var invitee = factory.User(bob);
        await (await invitee.Accept(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invitation_timed_out", id, "timeout");
    }

    [Fact]
    public async Task An_anonymous_socket_gets_no_invitation_events_but_can_use_the_relay()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));

        // No token: a user id in the handshake is only honoured in Development without credentials.
        await using var anonymous = await NodeSocketClient.ConnectAsync(factory.Address, new SocketClientOptions { Package = "sio4", UserId = bob, DeviceId = "spoof" });
        await using var anonymousOld = await NodeSocketClient.ConnectAsync(factory.Address, new SocketClientOptions { Package = "sio2", FieldsIn = "query", UserId = bob });
        await using var bobSocket = await Connect(Sio4, bob, "bob-phone");
        using var inviter = factory.User(alice);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");
        await bobSocket.NextEventAsync("incomingInvitationReceived");
        await (await inviter.Cancel(id)).Expect(HttpStatusCode.OK);
        await bobSocket.NextEventAsync("incomingInvitationCancelled");

        var room = "anon-" + Guid.NewGuid().ToString("N");
        Assert.Equal(0, (await anonymous.EmitWithAckAsync("join", room))[0].GetArrayLength());
        Assert.Equal([anonymous.Id], (await anonymousOld.EmitWithAckAsync("join", room))[0].EnumerateArray().Select(i => i.GetString()));
        await anonymous.EmitAsync("exchange", new { to = anonymousOld.Id, sdp = new { type = "offer", sdp = "v=0" } });
        var offer = await anonymousOld.NextEventAsync("exchange");
        await anonymousOld.EmitAsync("exchange", new { to = anonymous.Id, sdp = new { type = "answer", sdp = "v=0" } });
        var answer = await anonymous.NextEventAsync("exchange");

        Assert.Equal(anonymous.Id, offer.Str("from"));
        Assert.Equal("offer", offer.GetProperty("sdp").Str("type"));
        Assert.Equal(anonymousOld.Id, answer.Str("from"));
        Assert.Equal("answer", answer.GetProperty("sdp").Str("type"));
        Assert.Equal(["exchange"], anonymous.EventNames);
        Assert.Equal(["exchange"], anonymousOld.EventNames);
    }

    public static TheoryData<string, string> BadTokens => new()
    {
        { "bad signature", Tokens.BadSignature("bob") },
        { "expired", Tokens.Expired("bob") },
        { "wrong audience", Tokens.For("bob", audience: "another-app") },
        { "garbage", "garbage" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_socket_with_an_invalid_token_is_refused(string what, string token)
    {
        await using var client = NodeSocketClient.Start(factory.Address, new SocketClientOptions { Package = "sio4", Token = token });

        var error = await client.NextOfTypeAsync("connect_error");

        Assert.Equal("unauthorized", error.Str("message"));
        Assert.Equal("unauthenticated", error.GetProperty("data").Str("code"));
        Assert.DoesNotContain(client.All, l => l.Str("type") == "connect");
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public async Task A_socket_io_2_client_with_an_invalid_token_is_refused()
    {
        await using var client = NodeSocketClient.Start(factory.Address, new SocketClientOptions { Package = "sio2", FieldsIn = "query", Token = Tokens.Expired("bob") });

        var error = await client.NextOfTypeAsync("error");

        Assert.Equal("unauthenticated", error.GetProperty("data").Str("code"));
        Assert.DoesNotContain(client.All, l => l.Str("type") == "connect");
    }

    private static readonly SocketClientOptions Sio4 = new() { Package = "sio4", FieldsIn = "auth" };
    private static readonly SocketClientOptions Sio2 = new() { Package = "sio2", FieldsIn = "query" };

    private Task<NodeSocketClient> Connect(SocketClientOptions client, string userId, string deviceId)
        => NodeSocketClient.ConnectAsync(factory.Address, client with { Token = Tokens.For(userId), DeviceId = deviceId });

    /// <summary>What every invitation event carries.</summary>
    internal static void AssertEnvelope(JsonElement e, string name, string invitationId, string inviter, string state, long? version = null)
    {
        Assert.Equal(name, e.Str("name"));
        Assert.Equal(invitationId, e.Str("invitationId"));
        Assert.Equal(inviter, e.Str("inviter"));
        Assert.Equal(state, e.Str("state"));
        Assert.True(e.GetProperty("deadline").GetDateTimeOffset() > DateTimeOffset.UnixEpoch);
        var actual = e.GetProperty("version").GetInt64();
        Assert.True(actual >= 1);
        if (version is not null)
        {
            Assert.Equal(version, actual);
        }
    }
}
