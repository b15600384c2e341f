using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers rooms and call invitations.</summary>
public static class RoomsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the rooms services with in-memory stores: call invitations (<see cref="IInvitationService"/>, the
    /// <see cref="IInvitationStore"/>, the timeout sweeper, <see cref="InvitationOptions"/> from <c>Invitations</c>).
    /// </summary>
    public static IRoomsBuilder AddRooms(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddInvitations();
        return new RoomsBuilder(services);
    }

    /// <summary>
    /// Adds call invitations: options bound from <c>Invitations</c> and validated at start, the in-memory store, a no-op
    /// <see cref="IInvitationEventSink"/>, the service, the timeout sweeper and <see cref="TimeProvider.System"/>;
    /// everything with TryAdd so that earlier registrations win.
    /// </summary>
    public static IServiceCollection AddInvitations(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<InvitationOptions>()
            .BindConfiguration(InvitationOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<InvitationOptions>, InvitationOptionsValidator>());

        services.TryAddSingleton<IInvitationStore, InMemoryInvitationStore>();
        services.TryAddSingleton<IInvitationEventSink>(NullInvitationEventSink.Instance);
        services.TryAddSingleton<InvitationService>();
        services.TryAddSingleton<IInvitationService>(static sp => sp.GetRequiredService<InvitationService>());
        services.AddHostedService<InvitationTimeoutSweeper>();
        return services;
    }
}

/// <summary>Configures the rooms services (e.g. <c>.UseRedis()</c>).</summary>
public interface IRoomsBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}

internal sealed class RoomsBuilder(IServiceCollection services) : IRoomsBuilder
{
    public IServiceCollection Services { get; } = services;
}
