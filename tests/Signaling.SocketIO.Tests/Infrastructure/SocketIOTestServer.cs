using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.SocketIO;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.SocketIO.Tests.Infrastructure;

/// <summary>How the test server hosts Socket.IO.</summary>
public enum SocketIOHosting
{
    /// <summary>
    /// As the Signaling server does: <c>UseSocketIO</c> as an early branch and WebSocket handshakes served on the
    /// connection (<c>UseSocketIOWebSockets</c>).
    /// </summary>
    Direct,

    /// <summary><c>MapSocketIO</c> behind routing: every request, WebSockets included, goes through Kestrel's HTTP pipeline.</summary>
    HttpPipeline,
}

/// <summary>
/// A real Kestrel server on 127.0.0.1 and a free port with Socket.IO at <c>/socket.io</c> and these handlers on
/// <c>/</c>: <c>echo</c> re-emits its arguments as <c>echo-back</c> (binary included), <c>ack</c> acknowledges
/// with its arguments. Connected sockets and disconnect reasons are recorded for the tests.
/// </summary>
internal sealed class SocketIOTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SocketIOTestServer(WebApplication app, SocketIOServer io, CapturingLoggerProvider logs, Uri baseAddress, Channel<string> requestsCompleted, Channel<string> connectionsCompleted)
    {
        _app = app;
        RequestsCompleted = requestsCompleted;
        ConnectionsCompleted = connectionsCompleted;
        IO = io;
        Logs = logs;
        BaseAddress = baseAddress;
    }

    public SocketIOServer IO { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseAddress { get; }

    public Channel<SocketIOSocket> Connected { get; } = Channel.CreateUnbounded<SocketIOSocket>();

    /// <summary>The query string of every request that ended (a WebSocket request ends when its connection does).</summary>
    public Channel<string> RequestsCompleted { get; }

    /// <summary>The id of every TCP connection that ended.</summary>
    public Channel<string> ConnectionsCompleted { get; }

    public Channel<(SocketIOSocket Socket, string Reason)> Disconnected { get; } = Channel.CreateUnbounded<(SocketIOSocket, string)>();

    public EngineIOServer Engine => _app.Services.GetRequiredService<EngineIOEndpoints>().Servers[0];

    public IServiceProvider Services => _app.Services;

    public static async Task<SocketIOTestServer> StartAsync(
        SocketIOHosting hosting = SocketIOHosting.Direct,
        Action<EngineIOOptions>? engineIO = null,
        Action<SocketIOOptions>? socketIO = null,
        Action<SocketIOServer>? configure = null,
        Action<KestrelServerOptions>? kestrelOptions = null,
        string[]? allowedHosts = null,
        Action<IApplicationBuilder>? pipeline = null)
    {
        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder();
        var connectionsCompleted = Channel.CreateUnbounded<string>();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            kestrelOptions?.Invoke(kestrel);
            listen.Use(next => async connection =>
            {
                try
                {
                    await next(connection);
                }
                finally
                {
                    connectionsCompleted.Writer.TryWrite(connection.ConnectionId);
                }
            });
            if (hosting == SocketIOHosting.Direct)
            {
                listen.UseSocketIOWebSockets();
            }
        }));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSocketIO(socketIO, engineIO);
        if (allowedHosts is not null)
        {
            builder.Services.AddHostFiltering(options =>
            {
                foreach (var host in allowedHosts)
                {
                    options.AllowedHosts.Add(host);
                }
            });
        }

        var app = builder.Build();
        if (allowedHosts is not null)
        {
            app.UseHostFiltering();
        }

        pipeline?.Invoke(app);

        var completed = Channel.CreateUnbounded<string>();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                completed.Writer.TryWrite(context.Request.QueryString.Value ?? string.Empty);
            }
        });
        app.UseWebSockets();
        var io = hosting == SocketIOHosting.Direct ? app.UseSocketIO("/socket.io") : app.MapSocketIO("/socket.io");
        SocketIOTestServer? server = null;
        var root = io.Of("/");
        root.OnConnection(socket =>
        {
            server!.Connected.Writer.TryWrite(socket);
            return ValueTask.CompletedTask;
        });
        root.OnDisconnect((socket, reason) =>
        {
            server!.Disconnected.Writer.TryWrite((socket, reason));
            return ValueTask.CompletedTask;
        });
        root.On("echo", (socket, e) =>
        {
            socket.SendPacket(SocketPacketWriter.RawEvent(socket.Namespace.Name, "echo-back", e.Arguments, e.Attachments, ackId: -1));
            return ValueTask.CompletedTask;
        });
        root.On("ack", (socket, e) =>
        {
            e.AckRaw(e.Arguments, e.Attachments);
            return ValueTask.CompletedTask;
        });
        configure?.Invoke(io);

        await app.StartAsync(TestTimeouts.Token());
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new SocketIOTestServer(app, io, logs, new Uri(address.TrimEnd('/') + "/"), completed, connectionsCompleted);
        return server;
    }

    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress, Timeout = TestTimeouts.Default };

    /// <summary>A raw Engine.IO client over HTTP long-polling.</summary>
    public PollingClient Polling(int protocol = 4, string? extraQuery = null) => new(CreateHttpClient(), protocol, extraQuery);

    /// <summary>Opens a raw Engine.IO WebSocket (and reads nothing yet).</summary>
    public Task<WebSocketClient> WebSocketAsync(int protocol = 4, string? sid = null)
        => WebSocketClient.ConnectAsync(new Uri(BaseAddress, $"socket.io/?EIO={protocol}&transport=websocket{(sid is null ? string.Empty : "&sid=" + sid)}"));

    /// <summary>Opens an EIO4 WebSocket, reads the open packet and joins <c>/</c>.</summary>
    public async Task<WebSocketClient> ConnectedWebSocketAsync()
    {
        var client = await WebSocketAsync();
        Assert.StartsWith("0{", await client.ReceiveTextAsync());
        await client.SendTextAsync("40");
        Assert.StartsWith("40{\"sid\":", await client.ReceiveTextAnsweringPingsAsync());
        return client;
    }

    /// <summary>The next socket that connected to <c>/</c>.</summary>
    public async Task<SocketIOSocket> NextConnectedAsync() => await Connected.Reader.ReadAsync(TestTimeouts.Token());

    public Task StopAsync() => _app.StopAsync(TestTimeouts.Token());

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(TestTimeouts.Token());
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
