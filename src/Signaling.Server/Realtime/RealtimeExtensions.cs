using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Redis;
using Signaling.Rooms.Relay;
using Signaling.Server.Hubs;
using Signaling.Server.Realtime;
using Signaling.SocketIO;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.SocketIO;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The Socket.IO endpoint and the relay on it.</summary>
public static class RealtimeExtensions
{
    /// <summary>
    /// Adds Socket.IO (sections <c>SocketIO</c> and <c>SocketIO:EngineIO</c>, CORS from <c>Cors:AllowedOrigins</c>,
    /// open to any origin in Development when unset) and the relay (section <c>Relay</c>).
    /// </summary>
    public static IServiceCollection AddSignalingRealtime(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSocketIO();

        // WebSocket handshakes on /socket.io are served on the connection itself (see UseSocketIOWebSockets): an idle
        // socket then holds none of Kestrel's HTTP request state. SocketIO:DirectWebSockets=false turns it off.
        // ConfigureEndpointDefaults keeps one action: code that sets its own must call UseSocketIOWebSockets in it.
        if (configuration.GetValue("SocketIO:DirectWebSockets", true))
        {
            services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSocketIOWebSockets()));
        }

        services.AddOptions<SocketIOOptions>().BindConfiguration("SocketIO");
        services.AddOptions<EngineIOOptions>().BindConfiguration("SocketIO:EngineIO").Configure(options =>
        {
            var origins = configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
            if (origins.Length == 0 && environment.IsDevelopment())
            {
                origins = ["*"];
            }

            foreach (var origin in origins)
            {
                options.AllowedOrigins.Add(origin);
            }
        });
        services.AddRelay();
        services.TryAddSingleton<UserSessions>();
        services.TryAddSingleton<HubConnections>();
        services.TryAddSingleton<InvitationPushBridge>();
        services.Replace(ServiceDescriptor.Singleton<IInvitationEventSink, RealtimeInvitationEventSink>());

        // With Redis: sockets evicted while this node was presumed dead are closed so that their clients rejoin.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeFailureHandler, EvictedSocketCloser>());
        services.AddSignalR();
        return services;
    }
}

/// <summary>Maps the Socket.IO endpoint.</summary>
public static class RealtimeEndpointExtensions
{
    /// <summary>
    /// Serves Socket.IO at <c>/socket.io</c> (relay events; invitation events for authenticated sockets) as an early
    /// branch of the pipeline: Socket.IO authenticates in its connect middleware, and a long-lived WebSocket request
    /// that skips the REST pipeline (authentication handlers, request logging, routing) costs less memory per connection.
    /// </summary>
    public static SocketIOServer UseSignalingSocketIO(this WebApplication app)
    {
        var io = app.UseSocketIO("/socket.io");
        SocketIORelayHandlers.Register(io.Of("/"), app.Services);
        return io;
    }

    /// <summary>Maps the SignalR hub at <c>/hubs/signaling</c>.</summary>
    public static WebApplication MapSignalingRealtime(this WebApplication app)
    {
        // Anonymous connections may use the relay, but a token that fails validation is refused (401), as on Socket.IO.
        app.MapHub<SignalingHub>("/hubs/signaling").RequireAuthorization(policy => policy.RequireAssertion(context =>
            context.User.Identity?.IsAuthenticated == true || context.Resource is not HttpContext http || !(http.Request.Query.ContainsKey("access_token") || http.Request.Headers.Authorization.Count > 0)));
        return app;
    }
}
