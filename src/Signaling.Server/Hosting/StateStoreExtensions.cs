using Microsoft.Extensions.DependencyInjection.Extensions;
using Signaling.Rooms.Presence;
using Signaling.Rooms.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Where state lives: Redis when <c>Redis:Configuration</c> is set, memory otherwise.</summary>
public static class StateStoreExtensions
{
    /// <summary>
    /// Invitations, rooms, presence, devices and push outcomes in Redis (one multiplexer per process, keys under
    /// <c>Redis:KeyPrefix</c>, node heartbeats and dead-node cleanup), or in memory for a single node.
    /// </summary>
    public static IServiceCollection AddSignalingState(this IServiceCollection services, IConfiguration configuration)
    {
        var rooms = services.AddRooms();
        var push = services.AddPush();
        if (string.IsNullOrWhiteSpace(configuration["Redis:Configuration"]))
        {
            return services;
        }

        rooms.UseRedis();
        push.UsePushRedis();
        services.RemoveAll<IUserPresence>();
        services.AddSingleton<RedisUserPresence>();
        services.AddSingleton<IUserPresence>(sp => sp.GetRequiredService<RedisUserPresence>());
        services.AddSingleton<INodeFailureHandler>(sp => sp.GetRequiredService<RedisUserPresence>());
        services.AddHealthChecks().AddCheck<RedisRoomsHealthCheck>("redis", tags: ["ready"]);
        return services;
    }
}
