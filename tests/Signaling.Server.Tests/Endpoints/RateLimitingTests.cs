using System.Net;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Endpoints;

/// <summary>The per-caller fixed window on <c>/v1</c> (<c>RateLimit:PermitLimit</c>, <c>RateLimit:Window</c>).</summary>
public sealed class RateLimitingTests(RateLimitingTests.LimitedFactory factory) : IClassFixture<RateLimitingTests.LimitedFactory>
{
    public sealed class LimitedFactory() : SignalingFactory("Testing", Credentials(("RateLimit:PermitLimit", "3"), ("RateLimit:Window", "00:10:00")));

    [Fact]
    public async Task Beyond_the_limit_a_caller_gets_429_rate_limited_with_Retry_After()
    {
        var alice = Ids.User("alice");
        using var client = factory.User(alice);
        for (var i = 0; i < 3; i++)
        {
            await (await client.Get($"/v1/users/{alice}/invitations")).Expect(HttpStatusCode.OK);
        }

        using var refused = await client.PostJson("/v1/invitations", new { invitees = new[] { "bob" } });

        await refused.ExpectProblem(HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task Each_user_has_their_own_window()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var aliceClient = factory.User(alice);
        using var bobClient = factory.User(bob);
        for (var i = 0; i < 4; i++)
        {
            using var ignored = await aliceClient.Get($"/v1/users/{alice}/invitations");
        }

        await (await bobClient.Get($"/v1/users/{bob}/invitations")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Health_checks_are_not_limited()
    {
        using var client = factory.Anonymous();

        for (var i = 0; i < 5; i++)
        {
            await (await client.Get("/health/live")).Expect(HttpStatusCode.OK);
        }
    }
}
