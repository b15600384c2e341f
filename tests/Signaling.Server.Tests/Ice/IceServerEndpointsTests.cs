using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Ice;

/// <summary>Development without credentials (users named by <c>X-User-Id</c>), STUN and TURN configured, the clock fixed.</summary>
public sealed class IceDevelopmentFactory() : SignalingFactory("Development", IceSettings.Turn())
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new FixedTime(TurnCredentialsTests.Now))));
    }
}

/// <summary>JWT users and an API key, STUN and TURN configured, the clock fixed.</summary>
public sealed class IceCredentialsFactory() : SignalingFactory("Testing", IceSettings.Turn(Credentials()))
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new FixedTime(TurnCredentialsTests.Now))));
    }
}

public static class IceSettings
{
    public static Dictionary<string, string?> Turn(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>(more ?? [], StringComparer.OrdinalIgnoreCase)
        {
            ["Ice:StunUrls:0"] = "stun:stun.example.com:3478",
            ["Ice:TurnUrls:0"] = "turn:turn.example.com:3478?transport=udp",
            ["Ice:TurnUrls:1"] = "turns:turn.example.com:5349?transport=tcp",
            ["Ice:TurnSecret"] = "coturn-shared-secret",
            ["Ice:TurnTtl"] = "3600",
        };
        return settings;
    }

    // now + TurnTtl = 1767225600 + 3600. Credentials computed once, independently, with
    //   printf '%s' "1767229200:alice" | openssl dgst -sha1 -hmac "coturn-shared-secret" -binary | base64
    public const string AliceUsername = "1767229200:alice";
    public const string AliceCredential = "AZ6SwQkQFl+MPl54hPxfXkC+cIw=";

    public static string[] Urls(this JsonElement server) => [.. server.GetProperty("urls").EnumerateArray().Select(u => u.GetString()!)];
}

public sealed class IceServerEndpointsTests(IceDevelopmentFactory factory) : IClassFixture<IceDevelopmentFactory>
{
    [Fact]
    public async Task A_user_gets_stun_and_turn_with_credentials_of_their_own()
    {
        using var client = factory.DevelopmentUser("alice");

        using var response = await client.Get("/v1/ice-servers");

        var body = await response.Expect(HttpStatusCode.OK);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(3600, body.GetProperty("ttl").GetInt32());
        var servers = body.GetProperty("iceServers").EnumerateArray().ToArray();
        Assert.Equal(2, servers.Length);
        Assert.Equal(["stun:stun.example.com:3478"], servers[0].Urls());
        Assert.False(servers[0].TryGetProperty("username", out _));
        Assert.False(servers[0].TryGetProperty("credential", out _));
        Assert.Equal(["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349?transport=tcp"], servers[1].Urls());
        Assert.Equal(IceSettings.AliceUsername, servers[1].Str("username"));
        Assert.Equal(IceSettings.AliceCredential, servers[1].Str("credential"));
    }

    [Fact]
    public async Task Authentication_is_required()
    {
        using var client = factory.Anonymous();

        using var response = await client.Get("/v1/ice-servers");

        await response.ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task A_user_cannot_ask_for_another_users_credentials()
    {
        using var client = factory.DevelopmentUser("alice");

        using var response = await client.Get("/v1/ice-servers?userId=bob");

        await response.ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task The_accept_answer_carries_the_invitees_ice_servers()
    {
        var alice = Ids.User("alice");
        var bob = Ids.User("bob");
        using var inviter = factory.DevelopmentUser(alice);
        using var invitee = factory.DevelopmentUser(bob);
        var sent = await inviter.SendInvitation(new { invitees = new[] { bob }, roomId = "room-1" });

        using var response = await invitee.Accept(sent.Str("invitationId"), deviceId: "web-1");

        var body = await response.Expect(HttpStatusCode.OK);
        Assert.Equal(sent.Str("invitationId"), body.Str("invitationId"));
        Assert.Equal("accepted", body.Str("state"));
        Assert.Equal("room-1", body.Str("roomId"));
        Assert.Equal(alice, body.Str("inviter"));
        var servers = body.GetProperty("iceServers");
        Assert.Equal(2, servers.GetArrayLength());
        Assert.Equal($"1767229200:{bob}", servers[1].Str("username"));
    }
}

public sealed class IceServerCredentialsTests(IceCredentialsFactory factory) : IClassFixture<IceCredentialsFactory>
{
    [Fact]
    public async Task A_user_token_gets_its_own_credentials()
    {
        using var client = factory.User("alice");

        var body = await (await client.Get("/v1/ice-servers")).Expect(HttpStatusCode.OK);

        Assert.Equal(IceSettings.AliceCredential, body.GetProperty("iceServers")[1].Str("credential"));
    }

    [Fact]
    public async Task An_api_key_names_the_user_with_the_query()
    {
        using var client = factory.Backend();

        using var missing = await client.Get("/v1/ice-servers");
        await missing.ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");

        var body = await (await client.Get("/v1/ice-servers?userId=alice")).Expect(HttpStatusCode.OK);
        Assert.Equal(IceSettings.AliceUsername, body.GetProperty("iceServers")[1].Str("username"));
        Assert.Equal(IceSettings.AliceCredential, body.GetProperty("iceServers")[1].Str("credential"));
    }

    [Fact]
    public async Task A_wrong_api_key_is_refused()
    {
        using var client = factory.Backend("not-the-key");

        using var response = await client.Get("/v1/ice-servers?userId=alice");

        await response.ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }
}
