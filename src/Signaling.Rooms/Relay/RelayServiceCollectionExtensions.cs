using Microsoft.Extensions.DependencyInjection.Extensions;
using Signaling.Rooms.Presence;
using Signaling.Rooms.Relay;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the signaling relay.</summary>
public static class RelayServiceCollectionExtensions
{
    /// <summary>Adds the relay with in-memory rooms and local delivery (section <c>Relay</c> for its limits).</summary>
    public static IServiceCollection AddRelay(this IServiceCollection services)
    {
        services.AddOptions<RelayOptions>().BindConfiguration("Relay").ValidateDataAnnotations().ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton<IRoomStore, InMemoryRoomStore>();
        services.TryAddSingleton<LocalRelayBus>();
        services.TryAddSingleton<IRelayBus>(sp => sp.GetRequiredService<LocalRelayBus>());
        services.TryAddSingleton<RelayService>();
        services.TryAddSingleton<IUserPresence, InMemoryUserPresence>();
        return services;
    }
}
