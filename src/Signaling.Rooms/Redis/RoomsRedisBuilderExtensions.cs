using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Redis;
using Signaling.Rooms.Relay;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Moves rooms, the relay directory and invitations to Redis.</summary>
public static class RoomsRedisBuilderExtensions
{
    /// <summary>
    /// Replaces the in-memory <see cref="IRoomStore"/>, <see cref="IRelayBus"/> and <see cref="IInvitationStore"/>
    /// with <see cref="RedisRoomStore"/>, <see cref="RedisRelayBus"/> and <see cref="RedisInvitationStore"/>, and adds
    /// the relay (<c>AddRelay()</c>), one lazily connected <see cref="IConnectionMultiplexer"/> (unless one is
    /// registered already), this process's <see cref="RedisNode"/>, the <see cref="RedisNodeMonitor"/> heartbeat
    /// service and <see cref="RoomsRedisOptions"/> from <c>Redis</c> and <c>Cluster</c>, validated at start
    /// (<c>Redis:Configuration</c> is required).
    /// </summary>
    public static IRoomsBuilder UseRedis(this IRoomsBuilder builder, Action<RoomsRedisOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddRelay();
        var options = services.AddOptions<RoomsRedisOptions>()
            .BindConfiguration(RoomsRedisOptions.SectionName)
            .Configure<IConfiguration>(static (o, configuration) =>
            {
                var cluster = configuration.GetSection(RoomsRedisOptions.ClusterSectionName);
                o.NodeTimeout = cluster.GetValue(nameof(RoomsRedisOptions.NodeTimeout), o.NodeTimeout);
                o.HeartbeatInterval = cluster.GetValue(nameof(RoomsRedisOptions.HeartbeatInterval), o.HeartbeatInterval);
            })
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoomsRedisOptions>, RoomsRedisOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RedisNode>();
        services.TryAddSingleton<IConnectionMultiplexer>(static sp => Connect(sp));

        services.RemoveAll<IRoomStore>();
        services.AddSingleton<IRoomStore, RedisRoomStore>();
        services.TryAddSingleton<RedisRelayBus>();
        services.RemoveAll<IRelayBus>();
        services.AddSingleton<IRelayBus>(static sp => sp.GetRequiredService<RedisRelayBus>());
        services.RemoveAll<IInvitationStore>();
        services.AddSingleton<IInvitationStore, RedisInvitationStore>();

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisNodeMonitor>());

        return builder;
    }

    private static ConnectionMultiplexer Connect(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<RoomsRedisOptions>>().Value;
        var configuration = ConfigurationOptions.Parse(options.Configuration!);

        // Start even when Redis is down, and keep reconnecting in the background.
        configuration.AbortOnConnectFail = false;
        configuration.ClientName ??= services.GetRequiredService<RedisNode>().Id;
        configuration.LoggerFactory ??= services.GetService<ILoggerFactory>();
        return ConnectionMultiplexer.Connect(configuration);
    }
}
