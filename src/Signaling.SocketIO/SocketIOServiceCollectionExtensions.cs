using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Signaling.SocketIO;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.SocketIO;
using Signaling.SocketIO.SocketIO.Adapters;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Socket.IO server.</summary>
public static class SocketIOServiceCollectionExtensions
{
    /// <summary>Adds the Engine.IO/Socket.IO server with the in-memory adapter.</summary>
    public static ISocketIOServerBuilder AddSocketIO(this IServiceCollection services, Action<SocketIOOptions>? configureSocketIO = null, Action<EngineIOOptions>? configureEngineIO = null)
    {
        services.AddOptions<SocketIOOptions>().ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EngineIOOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configureSocketIO is not null)
        {
            services.Configure(configureSocketIO);
        }

        if (configureEngineIO is not null)
        {
            services.Configure(configureEngineIO);
        }

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EngineIOMetrics>();
        services.TryAddSingleton<ISocketIOAdapterFactory, InMemoryAdapterFactory>();
        services.TryAddSingleton(sp => new SocketIOServer(
            sp.GetRequiredService<IOptions<SocketIOOptions>>().Value,
            sp.GetRequiredService<ISocketIOAdapterFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<ILogger<SocketIOServer>>()));
        services.TryAddSingleton<EngineIOEndpoints>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineIOEndpoints>());
        return new SocketIOServerBuilder(services);
    }

    private sealed class SocketIOServerBuilder(IServiceCollection services) : ISocketIOServerBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
