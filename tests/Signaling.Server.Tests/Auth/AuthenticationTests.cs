using System.Net;
using Microsoft.Extensions.Options;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Auth;

/// <summary>Who may call the REST API: user JWTs (HS256, issuer, audience, lifetime), API keys acting for users.</summary>
public sealed class AuthenticationTests(TestingFactory factory) : IClassFixture<TestingFactory>
{
    public static TheoryData<string, string?> BadTokens => new()
    {
        { "no credentials", null },
        { "bad signature", Tokens.BadSignature("alice") },
        { "expired", Tokens.Expired("alice") },
        { "wrong issuer", Tokens.For("alice", issuer: "https://someone-else.test") },
        { "no issuer", Tokens.For("alice", issuer: null) },
        { "wrong audience", Tokens.For("alice", audience: "another-app") },
        { "not a JWT", "not-a-token" },
        { "unsigned (alg none)", UnsignedToken("alice") },
        { "valid but without sub", Tokens.For(null) },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Requests_without_a_valid_user_token_are_unauthenticated(string what, string? token)
    {
        using var client = token is null ? factory.Anonymous() : factory.WithBearer(token);

        var responses = new[]
        {
            await client.PostJson("/v1/invitations", new { invitees = new[] { "bob" } }),
            await client.Accept("AAAAAAAAAAAAAAAAAAAAAA"),
            await client.Get("/v1/users/alice/invitations"),
            await client.Get("/v1/invitations/AAAAAAAAAAAAAAAAAAAAAA"),
        };

        foreach (var response in responses)
        {
            using (response)
            {
                var problem = await response.ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
                Assert.False(string.IsNullOrEmpty(problem.Str("detail")), what);
            }
        }
    }

    [Fact]
    public async Task A_token_within_the_clock_skew_is_still_accepted()
    {
        using var client = factory.WithBearer(Tokens.For(Ids.User("alice"), expires: DateTime.UtcNow.AddSeconds(-10)));

        await client.SendInvitation(Ids.User("bob"));
    }

    [Fact]
    public async Task A_wrong_API_key_is_unauthenticated()
    {
        using var client = factory.Backend("wrong-key");

        await (await client.PostJson("/v1/invitations", new { inviter = "alice", invitees = new[] { "bob" } })).ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task An_API_key_acts_for_the_users_named_in_the_body()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var backend = factory.Backend();

        using var sent = await backend.PostJson("/v1/invitations", new { inviter = alice, invitees = new[] { bob } });
        var id = (await sent.Expect(HttpStatusCode.Created)).Str("invitationId");

        var invitation = await (await backend.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK);
        Assert.Equal(alice, invitation.Str("inviter"));
        var pending = await (await backend.Get($"/v1/users/{bob}/invitations?role=incoming&state=pending")).Expect(HttpStatusCode.OK);
        Assert.Equal(id, Assert.Single(pending.EnumerateArray()).Str("invitationId"));
        var accepted = await (await backend.PostJson($"/v1/invitations/{id}/accept", new { invitee = bob, deviceId = "bob-phone" })).Expect(HttpStatusCode.OK);
        Assert.Equal("accepted", accepted.Str("state"));
        Assert.Equal("bob-phone", accepted.GetProperty("invitees")[0].Str("answeredBy"));
    }

    [Fact]
    public async Task An_API_key_refuses_and_cancels_for_users()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        using var backend = factory.Backend();
        var id = (await backend.SendInvitation(new { inviter = alice, invitees = new[] { bob, carol } })).Str("invitationId");

        var refused = await (await backend.PostJson($"/v1/invitations/{id}/refuse", new { invitee = bob, reason = "busy" })).Expect(HttpStatusCode.OK);
        Assert.Equal("busy", refused.GetProperty("invitees")[0].Str("reason"));
        await (await backend.PostJson($"/v1/invitations/{id}/cancel", new { inviter = carol })).ExpectInvitationProblem(HttpStatusCode.Forbidden, "forbidden", id, "ringing", 2);
        var cancelled = await (await backend.PostJson($"/v1/invitations/{id}/cancel", new { inviter = alice })).Expect(HttpStatusCode.OK);
        Assert.Equal("cancelled", cancelled.Str("state"));
    }

    [Theory]
    [InlineData("/v1/invitations", "{\"invitees\": [\"bob\"]}", "inviter")]
    [InlineData("/v1/invitations", "{\"inviter\": \"  \", \"invitees\": [\"bob\"]}", "inviter")]
    [InlineData("/v1/invitations/AAAAAAAAAAAAAAAAAAAAAA/cancel", "{}", "inviter")]
    [InlineData("/v1/invitations/AAAAAAAAAAAAAAAAAAAAAA/accept", "{\"deviceId\": \"d\"}", "invitee")]
    [InlineData("/v1/invitations/AAAAAAAAAAAAAAAAAAAAAA/refuse", "{}", "invitee")]
    public async Task An_API_key_must_name_the_user_it_acts_for(string path, string body, string field)
    {
        using var backend = factory.Backend();

        var problem = await (await backend.PostRaw(path, body)).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");

        Assert.Equal([field], problem.ErrorFields());
    }

    [Fact]
    public async Task The_development_user_header_is_ignored_outside_Development()
    {
        using var client = factory.DevelopmentUser("alice");

        await (await client.PostJson("/v1/invitations", new { invitees = new[] { "bob" } })).ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    private static string UnsignedToken(string userId)
    {
        static string Encode(string json) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        return $"{Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Encode($"{{\"sub\":\"{userId}\",\"iss\":\"{Tokens.Issuer}\",\"aud\":\"{Tokens.Audience}\",\"exp\":{exp}}}")}.";
    }
}

/// <summary>Development with no credentials configured: the user id comes from <c>X-User-Id</c>.</summary>
public sealed class DevelopmentAuthenticationTests(DevelopmentAuthenticationTests.DevelopmentFactory factory)
    : IClassFixture<DevelopmentAuthenticationTests.DevelopmentFactory>
{
    public sealed class DevelopmentFactory() : SignalingFactory("Development", new Dictionary<string, string?>());

    [Fact]
    public async Task The_user_id_header_identifies_the_caller()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.DevelopmentUser(alice);
        using var invitee = factory.DevelopmentUser(bob);

        var id = (await inviter.SendInvitation(bob)).Str("invitationId");
        var pending = await (await invitee.Get($"/v1/users/{bob}/invitations?role=incoming&state=pending")).Expect(HttpStatusCode.OK);
        var accepted = await (await invitee.Accept(id, "bob-phone")).Expect(HttpStatusCode.OK);

        Assert.Equal(id, Assert.Single(pending.EnumerateArray()).Str("invitationId"));
        Assert.Equal("accepted", accepted.Str("state"));
        await (await invitee.PostJson("/v1/invitations", new { inviter = alice, invitees = new[] { "x" } })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Without_the_header_or_with_an_overlong_id_the_caller_is_unauthenticated()
    {
        using var anonymous = factory.Anonymous();
        using var overlong = factory.DevelopmentUser(new string('u', 257));

        await (await anonymous.PostJson("/v1/invitations", new { invitees = new[] { "bob" } })).ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
        await (await overlong.PostJson("/v1/invitations", new { invitees = new[] { "bob" } })).ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task A_bearer_token_is_not_accepted_when_no_signing_key_is_configured()
    {
        using var client = factory.WithBearer(Tokens.For("alice"));

        await (await client.PostJson("/v1/invitations", new { invitees = new[] { "bob" } })).ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
    }
}

/// <summary>Development with credentials configured behaves like production: no plain user ids.</summary>
public sealed class DevelopmentWithCredentialsTests
{
    [Fact]
    public async Task The_user_id_header_is_ignored_once_credentials_are_configured()
    {
        await using var factory = new SignalingFactory("Development", SignalingFactory.Credentials());
        using var devUser = factory.DevelopmentUser("alice");
        using var user = factory.User(Ids.User("alice"));

        await (await devUser.PostJson("/v1/invitations", new { invitees = new[] { "bob" } })).ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
        await user.SendInvitation(Ids.User("bob"));
    }
}

/// <summary>Outside Development the server refuses to start without credentials.</summary>
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData("Testing")]
    public void Outside_Development_the_server_refuses_to_start_without_credentials(string environment)
    {
        using var factory = new SignalingFactory(environment, new Dictionary<string, string?>());

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        var validation = Unwrap<OptionsValidationException>(error);
        Assert.Contains("Auth", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signing_key_shorter_than_32_bytes_stops_the_start()
    {
        using var factory = new SignalingFactory("Production", new Dictionary<string, string?> { ["Auth:Jwt:SigningKey"] = new string('k', 31) });

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        Assert.Contains("Auth:Jwt:SigningKey", Unwrap<OptionsValidationException>(error).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Auth:Jwt:SigningKey", Tokens.SigningKey)]
    [InlineData("Auth:ApiKeys:0", Tokens.ApiKey)]
    public async Task In_Production_one_credential_is_enough(string key, string value)
    {
        await using var factory = new SignalingFactory("Production", new Dictionary<string, string?> { [key] = value });
        using var client = factory.Anonymous();

        await (await client.Get("/health/live")).Expect(HttpStatusCode.OK);
    }

    private static T Unwrap<T>(Exception error)
        where T : Exception
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.OfType<T>().FirstOrDefault() is { } inner)
            {
                return inner;
            }
        }

        throw new Xunit.Sdk.XunitException($"Expected a {typeof(T).Name} in {error}");
    }
}
