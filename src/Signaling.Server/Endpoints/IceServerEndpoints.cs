namespace Microsoft.AspNetCore.Builder;

/// <summary>ICE servers (placeholder until the ICE endpoint lands).</summary>
public static class IceServerEndpoints
{
    /// <summary>Registers ICE server options.</summary>
    public static IServiceCollection AddSignalingIceServers(this IServiceCollection services) => services;

    /// <summary>Maps <c>GET /v1/ice-servers</c>.</summary>
    public static IEndpointRouteBuilder MapIceServers(this IEndpointRouteBuilder app) => app;
}
