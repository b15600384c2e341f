using System.Net;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Realtime;

/// <summary>Development without credentials: sockets name their user with <c>userId</c> (auth payload or query).</summary>
public sealed class DevelopmentSocketTests(DevelopmentSocketTests.DevelopmentKestrelFactory factory) : IClassFixture<DevelopmentSocketTests.DevelopmentKestrelFactory>
{
    public sealed class DevelopmentKestrelFactory() : SignalingFactory("Development", new Dictionary<string, string?>(), kestrel: true);

    [Theory]
    [InlineData("sio4", "auth")]
    [InlineData("sio2", "query")]
    public async Task A_socket_naming_its_user_gets_that_users_invitation_events(string package, string fieldsIn)
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var socket = await NodeSocketClient.ConnectAsync(factory.Address, new SocketClientOptions { Package = package, FieldsIn = fieldsIn, UserId = bob, DeviceId = "bob-phone" });
        using var inviter = factory.DevelopmentUser(alice);
        using var invitee = factory.DevelopmentUser(bob);

        var id = (await inviter.SendInvitation(bob)).Str("invitationId");
        var e = await socket.NextEventAsync("incomingInvitationReceived");
        await (await invitee.Accept(id, "bob-tablet")).Expect(HttpStatusCode.OK);
        var stop = await socket.NextEventAsync("incomingInvitationCancelled");

        SocketIOInvitationEventsTests.AssertEnvelope(e, "incomingInvitationReceived", id, alice, "ringing", 1);
        Assert.Equal("answeredElsewhere", stop.Str("reason"));
        Assert.Equal("bob-tablet", stop.Str("deviceId"));
    }

    [Fact]
    public async Task A_token_is_still_validated_and_refused_without_a_signing_key()
    {
        await using var client = NodeSocketClient.Start(factory.Address, new SocketClientOptions { Package = "sio4", Token = Tokens.For("bob") });

        var error = await client.NextOfTypeAsync("connect_error");

        Assert.Equal("unauthenticated", error.GetProperty("data").Str("code"));
    }
}
