using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Signaling.SocketIO.EngineIO.Transports;

/// <summary>
/// Kestrel connection middleware that takes a connection whose first request is a WebSocket handshake for an
/// Engine.IO endpoint, answers it and frames the WebSocket directly on the connection's pipes. Such a socket lives
/// for hours and would otherwise keep Kestrel's whole HTTP/1.1 request state (connection, headers, features, the
/// upgraded request's tasks) alive with it: about 7 KiB per idle connection. Every other connection, and any
/// handshake the endpoint would refuse, goes on to Kestrel's HTTP server untouched, so errors are answered as usual.
/// </summary>
/// <remarks>
/// Kestrel limits and filters that only the HTTP server applies are honoured by leaving those connections to it:
/// with <c>MaxConcurrentUpgradedConnections</c> set every connection goes on (Kestrel counts upgraded ones), and with
/// host filtering (<c>AllowedHosts</c>) a handshake is taken only when its <c>Host</c> is one the filter allows, so the
/// filter's own 400 answers the others.
/// </remarks>
internal sealed partial class DirectWebSocketMiddleware
{
    // CancellationTokenSource.CancelAfter refuses longer delays; Kestrel stores an infinite timeout as TimeSpan.MaxValue.
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private static readonly WebSocketCreationOptions SocketOptions = new()
    {
        IsServer = true,

        // Engine.IO has its own heartbeat; WebSocket pings would only add a timer per connection.
        KeepAliveInterval = TimeSpan.Zero,
    };

    private readonly ConnectionDelegate _next;
    private readonly EngineIOEndpoints _endpoints;
    private readonly EngineIOMetrics _metrics;
    private readonly KestrelServerLimits _limits;
    private readonly ILogger _logger;
    private List<StringSegment>? _allowedHosts;

    public DirectWebSocketMiddleware(
        ConnectionDelegate next,
        EngineIOEndpoints endpoints,
        EngineIOMetrics metrics,
        KestrelServerLimits limits,
        IOptionsMonitor<HostFilteringOptions>? hostFiltering,
        ILogger logger)
    {
        _next = next;
        _endpoints = endpoints;
        _metrics = metrics;
        _limits = limits;
        _logger = logger;

        // The filter itself follows configuration reloads; so does this.
        _allowedHosts = AllowedHostsOf(hostFiltering?.CurrentValue);
        hostFiltering?.OnChange(options => Volatile.Write(ref _allowedHosts, AllowedHostsOf(options)));
    }

    public Task OnConnectionAsync(ConnectionContext connection)
        => _endpoints.HasDirectEndpoints && _limits.MaxConcurrentUpgradedConnections is null ? TakeOrPassAsync(connection) : _next(connection);

    /// <summary>
    /// The host filter's allowed hosts, normalised as ASP.NET Core's host filtering middleware does, or null when it
    /// allows any host (or is not configured).
    /// </summary>
    private static List<StringSegment>? AllowedHostsOf(HostFilteringOptions? options)
    {
        if (options is null || options.AllowedHosts.Count == 0)
        {
            return null;
        }

        var hosts = new List<StringSegment>();
        foreach (var entry in options.AllowedHosts)
        {
            // Punycode, as the middleware compares it; "*", "[::]" and "0.0.0.0" allow any host.
            var host = new HostString(entry).ToUriComponent();
            if (host is "*" or "[::]" or "0.0.0.0")
            {
                return null;
            }

            hosts.Add(host);
        }

        return hosts;
    }

    private async Task TakeOrPassAsync(ConnectionContext connection)
    {
        var (taken, socket, serving) = await TryAcceptAsync(connection);
        if (!taken)
        {
            await _next(connection);
            return;
        }

        if (socket is null)
        {
            return;
        }

        // Only the socket and its task live on in this frame for the connection's lifetime: the request's strings
        // and buffers were left behind in TryAcceptAsync's.
        using (socket)
        {
            try
            {
                await serving!;
            }
            finally
            {
                // An aborted socket (a client that stopped reading, a failed upgrade) drops the connection; after a
                // clean close the connection ends normally so the close frame still goes out.
                if (socket.State == WebSocketState.Aborted)
                {
                    connection.Abort(new ConnectionAbortedException("WebSocket aborted"));
                }
            }
        }
    }

    /// <summary>Answers the handshake if this endpoint takes it and starts serving the socket.</summary>
    private async Task<(bool Taken, WebSocket? Socket, Task? Serving)> TryAcceptAsync(ConnectionContext connection)
    {
        if (await TryTakeAsync(connection) is not { } taken)
        {
            return (false, null, null);
        }

        var (request, dispatcher, query) = taken;

        var response = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {request.AcceptKey()}\r\n\r\n");
        try
        {
            var flushed = await connection.Transport.Output.WriteAsync(response, connection.ConnectionClosed);
            if (flushed.IsCanceled || flushed.IsCompleted)
            {
                return (true, null, null);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away during the handshake.
            return (true, null, null);
        }

        _metrics.DirectWebSocket();
        Log.Accepted(_logger, connection.ConnectionId, request.Path);
        var protocol = EngineIORequestDispatcher.ProtocolOf(query.GetValueOrDefault("EIO"));
        query.TryGetValue("sid", out var sid);
        var handshake = string.IsNullOrEmpty(sid)
            ? EngineIORequestDispatcher.Handshake(query, request.Origin, request.Authorization, (connection.RemoteEndPoint as IPEndPoint)?.Address)
            : null;

        var socket = WebSocket.CreateFromStream(new DuplexPipeStream(connection.Transport), SocketOptions);
        return (true, socket, dispatcher.ServeWebSocketAsync(socket, protocol, sid, handshake));
    }

    /// <summary>
    /// Reads the first request's header block without consuming it, and consumes it only when this endpoint will
    /// serve it. Otherwise the bytes stay in the pipe for Kestrel's parser, which must then see them at once: the
    /// examined position is left short of the data (moving it back would throw, and at the end Kestrel's first read
    /// would wait for more bytes).
    /// </summary>
    private async Task<(WebSocketUpgradeRequest Request, EngineIORequestDispatcher Dispatcher, Dictionary<string, string> Query)?> TryTakeAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;

        // Shutdown asks open connections to close: one still waiting for its first request goes to Kestrel, which
        // closes an idle connection at once.
        var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, closeRequested);
        var headersTimeout = _limits.RequestHeadersTimeout;
        if (headersTimeout > TimeSpan.Zero && headersTimeout < MaxTimerDelay)
        {
            cancel.CancelAfter(headersTimeout);
        }

        long examined = 0;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancel.Token);
            }
            catch (OperationCanceledException) when (examined > 0 && !closeRequested.IsCancellationRequested && !connection.ConnectionClosed.IsCancellationRequested)
            {
                // Part of a handshake and then nothing for the whole headers timeout: Kestrel would have given up
                // on it by now too.
                connection.Abort(new ConnectionAbortedException("Request headers timeout"));
                return null;
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // Silent until shutdown or the timeout (Kestrel's keep-alive rules take over, nothing was consumed),
                // or reset by the client (Kestrel sees the same end of input).
                return null;
            }

            var buffer = result.Buffer;
            var outcome = WebSocketUpgradeRequest.TryParse(buffer, out var request, out var length);
            if (outcome == UpgradeParseOutcome.NeedMore && !result.IsCompleted && !result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                examined = buffer.Length;
                continue;
            }

            if (outcome == UpgradeParseOutcome.Upgrade
                && (Volatile.Read(ref _allowedHosts) is not { } allowedHosts || HostString.MatchesAny(request!.Host, allowedHosts))
                && _endpoints.FindDirect(request!.Path) is { } dispatcher
                && ParseQuery(request.QueryString) is { } query
                && dispatcher.WouldAcceptWebSocket(query, request.Origin))
            {
                input.AdvanceTo(buffer.GetPosition(length));
                return (request, dispatcher, query);
            }

            input.AdvanceTo(buffer.Start, buffer.GetPosition(Math.Min(examined, buffer.Length)));
            return null;
        }
    }

    private static Dictionary<string, string>? ParseQuery(string queryString)
    {
        var parsed = QueryHelpers.ParseNullableQuery(queryString);
        return parsed is null ? null : EngineIORequestDispatcher.ToQuery(parsed, parsed.Count);
    }

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Trace, "Connection {ConnectionId}: WebSocket handshake for {Path} served on the connection")]
        public static partial void Accepted(ILogger logger, string connectionId, string path);
    }
}
