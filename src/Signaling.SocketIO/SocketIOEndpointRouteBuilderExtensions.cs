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

    /// <summary>
    /// Serves Socket.IO at <paramref name="path"/> as an early branch of the middleware pipeline: its requests skip
    /// whatever the app registers after this call (authentication, request logging, routing), which keeps a
    /// long-lived WebSocket request light. Socket.IO authenticates in its own connect middleware, so nothing is lost.
    /// With <see cref="Microsoft.AspNetCore.Hosting.SocketIOListenOptionsExtensions.UseSocketIOWebSockets"/> on Kestrel's
    /// endpoints, WebSocket handshakes for this path skip the HTTP pipeline altogether, including middleware registered
    /// before this call.
    /// </summary>
    public static SocketIOServer UseSocketIO(this IApplicationBuilder app, string path = "/socket.io")
    {
        var services = app.ApplicationServices;
        var server = services.GetRequiredService<SocketIOServer>();
        var (_, dispatcher) = CreateEndpoint(services, server, services.GetRequiredService<IOptions<EngineIOOptions>>().Value);
        MapBranch(app, services, path, dispatcher);
        return server;
    }

    private static void MapBranch(IApplicationBuilder app, IServiceProvider services, string path, EngineIORequestDispatcher dispatcher)
    {
        services.GetRequiredService<EngineIOEndpoints>().AddDirect(path, dispatcher);
        app.Map(path.TrimEnd('/'), branch =>
        {
            // Engine.IO has its own heartbeat; WebSocket-level pings would only add a timer per connection.
            branch.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
            branch.Run(dispatcher.DispatchAsync);
        });
    }

    /// <summary>
    /// Serves a bare Engine.IO endpoint with its own handler and options as an early branch of the pipeline, the way
    /// <see cref="UseSocketIO"/> serves Socket.IO (WebSocket handshakes included in <c>UseSocketIOWebSockets</c>).
    /// </summary>
    public static EngineIOServer UseEngineIO(this IApplicationBuilder app, string path, IEngineSessionHandler handler, EngineIOOptions options)
    {
        var services = app.ApplicationServices;
        var (server, dispatcher) = CreateEndpoint(services, handler, options);
        MapBranch(app, services, path, dispatcher);
        return server;
    }

    /// <summary>Serves a bare Engine.IO endpoint with its own handler and options.</summary>
    public static EngineIOServer MapEngineIO(this IEndpointRouteBuilder endpoints, string path, IEngineSessionHandler handler, EngineIOOptions options, Action<IEndpointConventionBuilder>? configureEndpoint = null)
    {
        var (server, dispatcher) = CreateEndpoint(endpoints.ServiceProvider, handler, options);

        // Routing matches the path with or without its trailing slash.
        var builder = endpoints.Map(path.TrimEnd('/'), dispatcher.DispatchAsync);
        configureEndpoint?.Invoke(builder);
        return server;
    }

    private static (EngineIOServer Server, EngineIORequestDispatcher Dispatcher) CreateEndpoint(IServiceProvider services, IEngineSessionHandler handler, EngineIOOptions options)
    {
        var server = services.GetRequiredService<EngineIOEndpoints>().Create(
            options, handler, services.GetRequiredService<TimeProvider>(), services.GetRequiredService<EngineIOMetrics>());
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Signaling.SocketIO.EngineIO.Transports");
        return (server, new EngineIORequestDispatcher(server, logger));
    }
}
