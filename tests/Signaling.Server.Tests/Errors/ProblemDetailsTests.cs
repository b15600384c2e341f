using System.Net;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Errors;

/// <summary>Errors the endpoints never see (routing, unreadable bodies) are problem details with a code as well.</summary>
public sealed class ProblemDetailsTests(TestingFactory factory) : IClassFixture<TestingFactory>
{
    [Fact]
    public async Task An_unknown_path_is_404_not_found()
    {
        using var client = factory.User(Ids.User("alice"));

        await (await client.Get("/v1/nothing-here")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task A_wrong_method_is_405_method_not_allowed()
    {
        using var client = factory.User(Ids.User("alice"));

        await (await client.Get("/v1/invitations")).ExpectProblem(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task An_unreadable_body_names_the_problem_without_echoing_it()
    {
        using var client = factory.User(Ids.User("alice"));

        var problem = await (await client.PostRaw("/v1/invitations", "{\"invitees\": [\"bob\"], \"timeout\": \"secret-ish\"}")).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");

        Assert.Equal("https://signaling.dev/problems/invalid-parameter", problem.Str("type"));
        Assert.DoesNotContain("secret-ish", problem.GetRawText(), StringComparison.Ordinal);
    }
}
