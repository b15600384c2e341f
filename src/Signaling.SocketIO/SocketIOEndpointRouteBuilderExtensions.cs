using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Signaling.SocketIO;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.EngineIO.Transports;
using Signaling.SocketIO.SocketIO;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Socket.IO and bare Engine.IO endpoints.</summary>
public static class SocketIOEndpointRouteBuilderExtensions
{
    /// <summary>Serves Socket.IO at <paramref name="path"/> (usually <c>/socket.io</c>). Returns the server to register namespaces and handlers on.</summary>
    public static SocketIOServer MapSocketIO(this IEndpointRouteBuilder endpoints, string path = "/socket.io", Action<IEndpointConventionBuilder>? configureEndpoint = null)
    {
        var server = endpoints.ServiceProvider.GetRequiredService<SocketIOServer>();
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<EngineIOOptions>>().Value;
        MapEngineIO(endpoints, path, server, options, configureEndpoint);
        return server;
    }

    /// <summary>Serves a bare Engine.IO endpoint with its own handler and options.</summary>
    public static EngineIOServer MapEngineIO(this IEndpointRouteBuilder endpoints, string path, IEngineSessionHandler handler, EngineIOOptions options, Action<IEndpointConventionBuilder>? configureEndpoint = null)
    {
        var services = endpoints.ServiceProvider;
        var server = services.GetRequiredService<EngineIOEndpoints>().Create(
            options, handler, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<EngineIOMetrics>());
        var dispatcher = new EngineIORequestDispatcher(server, services.GetRequiredService<ILoggerFactory>().CreateLogger("Signaling.SocketIO.EngineIO.Transports"));
        // Routing matches the path with or without its trailing slash.
        var builder = endpoints.Map(path.TrimEnd('/'), dispatcher.DispatchAsync);
        configureEndpoint?.Invoke(builder);
        return server;
    }
}
