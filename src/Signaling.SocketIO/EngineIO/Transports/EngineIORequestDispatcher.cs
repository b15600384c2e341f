using System.Net;
using System.Net.WebSockets;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Signaling.SocketIO.EngineIO.Transports;

/// <summary>Engine.IO error codes, as clients parse them from the <c>{code, message}</c> body.</summary>
internal enum EngineIOError
{
    UnknownTransport = 0,
    UnknownSid = 1,
    BadHandshakeMethod = 2,
    BadRequest = 3,
    Forbidden = 4,
    UnsupportedProtocolVersion = 5,
}

/// <summary>
/// Turns HTTP requests on an Engine.IO path into handshakes, polls, posts and WebSocket sessions.
/// This is the only Engine.IO code that sees <see cref="HttpContext"/>.
/// </summary>
internal sealed class EngineIORequestDispatcher(EngineIOServer server, ILogger logger)
{
    private static readonly string[] ErrorMessages =
    [
        "Transport unknown",
        "Session ID unknown",
        "Bad handshake method",
        "Bad request",
        "Forbidden",
        "Unsupported protocol version",
    ];

    public async Task DispatchAsync(HttpContext context)
    {
        var request = context.Request;
        var options = server.Options;
        if (!ApplyCors(context))
        {
            await WriteErrorAsync(context, EngineIOError.Forbidden, StatusCodes.Status403Forbidden);
            return;
        }

        if (HttpMethods.IsOptions(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var query = request.Query;
        var transport = query["transport"].ToString();
        var isPolling = transport == "polling" && options.AllowPolling;
        var isWebSocket = transport == "websocket" && options.AllowWebSocket;
        if (!isPolling && !isWebSocket)
        {
            await WriteErrorAsync(context, EngineIOError.UnknownTransport);
            return;
        }

        var protocol = ProtocolOf(query["EIO"].ToString());
        var sid = query["sid"].ToString();
        if (sid.Length > 0)
        {
            await ServeExistingAsync(context, sid, isWebSocket);
            return;
        }

        if (!HttpMethods.IsGet(request.Method))
        {
            await WriteErrorAsync(context, EngineIOError.BadHandshakeMethod);
            return;
        }

        if (isWebSocket && !context.WebSockets.IsWebSocketRequest)
        {
            await WriteErrorAsync(context, EngineIOError.BadRequest);
            return;
        }

        if (protocol == 3 && !options.AllowEIO3)
        {
            await WriteErrorAsync(context, EngineIOError.UnsupportedProtocolVersion);
            return;
        }

        if (!server.IsAccepting || server.IsAtCapacity)
        {
            context.Response.Headers.RetryAfter = "5";
            await WriteErrorAsync(context, EngineIOError.Forbidden, StatusCodes.Status503ServiceUnavailable);
            return;
        }

        var handshake = Handshake(
            ToQuery(query, query.Count),
            request.Headers.Origin.ToString(),
            request.Headers.Authorization.ToString(),
            context.Connection.RemoteIpAddress,

            // Only a user set by authentication that ran before us; reading HttpContext.User would allocate an empty one.
            context.Features.Get<Microsoft.AspNetCore.Http.Features.Authentication.IHttpAuthenticationFeature>()?.User);

        if (isWebSocket)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await ServeWebSocketAsync(socket, protocol, sid: null, handshake);
            return;
        }

        var supportsBinary = protocol == 4 || query["b64"].Count == 0 || query["b64"] == "0";
        var polling = await server.OpenSessionAsync(protocol, EngineTransportKind.Polling, supportsBinary, handshake);
        await PollingTransport.HandshakeAsync(context, polling);
    }

    private async Task ServeExistingAsync(HttpContext context, string sid, bool isWebSocket)
    {
        if (!server.TryGetLiveSession(sid, out var session))
        {
            await WriteErrorAsync(context, EngineIOError.UnknownSid);
            return;
        }

        if (isWebSocket)
        {
            // A WebSocket with a sid is an upgrade of a polling session, offered once.
            if (!context.WebSockets.IsWebSocketRequest || !server.Options.AllowUpgrades)
            {
                await WriteErrorAsync(context, EngineIOError.BadRequest);
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await ServeWebSocketAsync(socket, session.Protocol, sid, handshake: null);
            return;
        }

        if (session.Transport != EngineTransportKind.Polling)
        {
            await WriteErrorAsync(context, EngineIOError.BadRequest);
            return;
        }

        var method = context.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            await PollingTransport.PollAsync(context, session);
        }
        else if (HttpMethods.IsPost(method))
        {
            await PollingTransport.PostAsync(context, session);
        }
        else
        {
            await WriteErrorAsync(context, EngineIOError.BadRequest);
        }
    }

    /// <summary>
    /// Whether a WebSocket handshake that arrived on a bare connection (see <see cref="DirectWebSocketMiddleware"/>)
    /// would be accepted. Whatever this refuses is left to the HTTP pipeline, which answers it with the usual error.
    /// </summary>
    internal bool WouldAcceptWebSocket(IReadOnlyDictionary<string, string> query, string? origin)
    {
        var options = server.Options;
        if (!options.AllowWebSocket || !query.TryGetValue("transport", out var transport) || transport != "websocket" || !IsOriginAllowed(origin))
        {
            return false;
        }

        if (query.TryGetValue("sid", out var sid) && sid.Length > 0)
        {
            return options.AllowUpgrades && server.TryGetLiveSession(sid, out var session)
                && session.Transport == EngineTransportKind.Polling && !session.IsUpgrading;
        }

        var protocol = ProtocolOf(query.GetValueOrDefault("EIO"));
        return (protocol == 4 || options.AllowEIO3) && server.IsAccepting && !server.IsAtCapacity;
    }

    /// <summary>
    /// Serves an accepted WebSocket: a new session when <paramref name="sid"/> is empty, else the upgrade of that
    /// polling session (a session already upgraded, upgrading or gone gets the socket closed at once, as Node does).
    /// </summary>
    internal Task ServeWebSocketAsync(WebSocket socket, int protocol, string? sid, EngineHandshake? handshake)
    {
        if (string.IsNullOrEmpty(sid))
        {
            // Not async when the session opens synchronously (the usual case): this frame would otherwise stay
            // allocated for the socket's whole life.
            var opening = server.OpenSessionAsync(protocol, EngineTransportKind.WebSocket, supportsBinary: true, handshake!);
            return opening.IsCompletedSuccessfully
                ? new WebSocketTransport(socket, opening.Result, logger).RunAsync()
                : RunWhenOpenAsync(socket, opening);
        }

        if (!server.TryGetLiveSession(sid, out var upgrading) || upgrading.Transport != EngineTransportKind.Polling || upgrading.IsUpgrading)
        {
            return WebSocketTransport.RefuseAfterAcceptAsync(socket, server.Time);
        }

        return new WebSocketTransport(socket, upgrading, logger).RunUpgradeAsync();
    }

    private async Task RunWhenOpenAsync(WebSocket socket, ValueTask<EngineSession> opening)
        => await new WebSocketTransport(socket, await opening, logger).RunAsync();

    private bool IsOriginAllowed(string? origin)
    {
        var allowed = server.Options.AllowedOrigins;
        return allowed.Count == 0 || string.IsNullOrEmpty(origin) || allowed.Contains("*") || allowed.Contains(origin, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Adds CORS headers; false when the request's origin is not allowed.</summary>
    private bool ApplyCors(HttpContext context)
    {
        var allowed = server.Options.AllowedOrigins;
        var origin = context.Request.Headers.Origin;
        if (allowed.Count == 0 || StringValues.IsNullOrEmpty(origin))
        {
            return true;
        }

        var value = origin.ToString();
        if (!IsOriginAllowed(value))
        {
            return false;
        }

        var headers = context.Response.Headers;

        // Echo the origin rather than "*": browsers refuse "*" for credentialed requests (socket.io-client 2.x polls with credentials).
        headers.AccessControlAllowOrigin = value;
        headers.AccessControlAllowCredentials = "true";
        headers.Vary = "Origin";
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
            var requested = context.Request.Headers.AccessControlRequestHeaders;
            if (!StringValues.IsNullOrEmpty(requested))
            {
                headers.AccessControlAllowHeaders = requested;
            }

            headers.AccessControlMaxAge = "86400";
        }

        return true;
    }

    internal static async Task WriteErrorAsync(HttpContext context, EngineIOError error, int status = StatusCodes.Status400BadRequest)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = status;
        response.ContentType = "application/json";
        var code = (int)error;
        await response.WriteAsync($$"""{"code":{{code}},"message":"{{ErrorMessages[code]}}"}""", context.RequestAborted);
    }

    /// <summary>The Engine.IO protocol a request's <c>EIO</c> parameter asks for: 4, else 3.</summary>
    internal static int ProtocolOf(string? eio) => eio == "4" ? 4 : 3;

    /// <summary>Query parameters as the session keeps them: the values of a repeated name joined by commas.</summary>
    internal static Dictionary<string, string> ToQuery(IEnumerable<KeyValuePair<string, StringValues>> query, int count)
    {
        var result = new Dictionary<string, string>(count, StringComparer.Ordinal);
        foreach (var (key, value) in query)
        {
            result[key] = value.ToString();
        }

        return result;
    }

    /// <summary>What a new session keeps of its handshake request, from either transport path.</summary>
    internal static EngineHandshake Handshake(Dictionary<string, string> query, string? origin, string? authorization, IPAddress? remoteAddress, ClaimsPrincipal? user = null) => new()
    {
        Query = query,
        Origin = string.IsNullOrEmpty(origin) ? null : origin,
        Authorization = string.IsNullOrEmpty(authorization) ? null : authorization,
        RemoteAddress = remoteAddress?.ToString(),
        User = user,
    };
}
