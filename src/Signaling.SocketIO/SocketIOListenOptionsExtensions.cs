using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Signaling.SocketIO;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.EngineIO.Transports;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Kestrel endpoint settings for Socket.IO.</summary>
public static class SocketIOListenOptionsExtensions
{
    /// <summary>
    /// Serves WebSocket handshakes for endpoints mapped with <c>UseSocketIO</c> on the connection itself, without
    /// Kestrel's HTTP/1.1 request machinery, which would otherwise stay allocated for the socket's whole life (about
    /// 7 KiB per idle connection). Only a connection's first request is considered, and only a plain handshake the
    /// endpoint would accept; everything else (other paths, errors, HTTP/2, TLS bytes when this runs before
    /// <c>UseHttps</c>) continues to the HTTP server unchanged. To cover a TLS endpoint, call it after <c>UseHttps</c> on
    /// that endpoint's options; applied through <c>ConfigureEndpointDefaults</c> it runs before TLS, so WebSockets on
    /// HTTPS endpoints keep the HTTP path. With Kestrel's <c>MaxConcurrentUpgradedConnections</c> set, every
    /// handshake keeps the HTTP path so that Kestrel counts it; with host filtering (<c>AllowedHosts</c>), only
    /// handshakes whose <c>Host</c> the filter allows are served here and the filter answers the rest.
    /// </summary>
    public static ListenOptions UseSocketIOWebSockets(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        var services = listenOptions.ApplicationServices;
        var limits = listenOptions.KestrelServerOptions.Limits;
        listenOptions.Use(next =>
        {
            var middleware = new DirectWebSocketMiddleware(
                next,
                services.GetRequiredService<EngineIOEndpoints>(),
                services.GetRequiredService<EngineIOMetrics>(),
                limits,
                services.GetService<IOptionsMonitor<HostFilteringOptions>>(),
                services.GetRequiredService<ILoggerFactory>().CreateLogger("Signaling.SocketIO.EngineIO.Transports"));
            return middleware.OnConnectionAsync;
        });
        return listenOptions;
    }
}
