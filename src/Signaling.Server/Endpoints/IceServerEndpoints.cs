using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Signaling.Server.Endpoints;
using Signaling.Server.Ice;

namespace Microsoft.AspNetCore.Builder;

/// <summary>ICE servers (STUN, and TURN with per-user credentials) for <c>RTCPeerConnection</c>.</summary>
public static class IceServerEndpoints
{
    private const int MaxUserIdLength = 256;

    /// <summary>Registers <see cref="IceServerProvider"/> and <see cref="IceOptions"/> (section <c>Ice</c>), validated at start.</summary>
    public static IServiceCollection AddSignalingIceServers(this IServiceCollection services)
    {
        services.AddOptions<IceOptions>().BindConfiguration(IceOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IceOptions>, IceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IceServerProvider>();
        return services;
    }

    /// <summary>
    /// Maps <c>GET /v1/ice-servers</c>: the caller's ICE servers. A user gets their own; an API key names the user
    /// with <c>?userId=</c>.
    /// </summary>
    public static RouteGroupBuilder MapIceServers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("ICE").RequireAuthorization().RequireRateLimiting(RateLimitingExtensions.PolicyName);
        group.MapGet("/ice-servers", Get).WithName("GetIceServers")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        return group;
    }

    /// <summary>The ICE servers for the acting user; the answer carries credentials, so it is not cached.</summary>
    internal static Results<Ok<IceServersResponse>, ProblemHttpResult> Get(ClaimsPrincipal user, IceServerProvider ice, HttpResponse response, string? userId)
    {
        var actor = InvitationEndpoints.ActingUser(user, userId, "userId");
        if (actor.Problem is { } problem)
        {
            return problem;
        }

        if (actor.UserId!.Length > MaxUserIdLength)
        {
            return ProblemResults.Invalid("userId", $"userId must be at most {MaxUserIdLength} characters.");
        }

        response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(ice.GetFor(actor.UserId!));
    }
}
