using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Signaling.Push;
using Signaling.Push.Devices;
using Signaling.Push.Redis;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Moves the push device registry and ledger to Redis.</summary>
public static class PushRedisBuilderExtensions
{
    /// <summary>
    /// Replaces the in-memory <see cref="IDeviceStore"/> and <see cref="IPushLedger"/> with <see cref="RedisDeviceStore"/>
    /// and <see cref="RedisPushLedger"/>, keyed under <c>Redis:KeyPrefix</c> (<see cref="PushRedisOptions"/>, validated at
    /// start). They use the process's <see cref="IConnectionMultiplexer"/>, which the host must register:
    /// <c>AddRooms().UseRedis()</c> does.
    /// </summary>
    public static IPushBuilder UsePushRedis(this IPushBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<PushRedisOptions>().BindConfiguration(PushRedisOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushRedisOptions>, PushRedisOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.RemoveAll<IDeviceStore>();
        services.AddSingleton<IDeviceStore>(static sp =>
            new RedisDeviceStore(Multiplexer(sp), sp.GetRequiredService<IOptions<PushRedisOptions>>()));
        services.RemoveAll<IPushLedger>();
        services.AddSingleton<IPushLedger>(static sp =>
            new RedisPushLedger(Multiplexer(sp), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<PushRedisOptions>>()));
        return builder;
    }

    private static IConnectionMultiplexer Multiplexer(IServiceProvider services) =>
        services.GetService<IConnectionMultiplexer>() ?? throw new InvalidOperationException(
            "UsePushRedis() needs an IConnectionMultiplexer in the container: call AddRooms().UseRedis() (or register one) as well.");
}
