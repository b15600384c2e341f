using System.Net;
using System.Net.WebSockets;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests;

/// <summary>Stopping the host closes every session properly: WebSocket clients get a close frame, pending polls the close packet.</summary>
public abstract class EngineIOEndpointsShutdownTests(SocketIOHosting hosting)
{
    [Fact]
    public async Task StopAsync_closes_websocket_and_polling_sessions_with_proper_close_packets()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        await using var eio4 = await server.ConnectedWebSocketAsync();
        await using var eio3 = await server.WebSocketAsync(protocol: 3);
        Assert.StartsWith("0{", await eio3.ReceiveTextAsync());
        Assert.Equal("40", await eio3.ReceiveTextAsync());
        using var polling = server.Polling();
        await polling.ConnectAsync();
        var poll = polling.GetAsync();
        await TestTimeouts.WaitUntilAsync(() => server.Engine.TryGetSession(polling.Sid!, out var s) && s.IsPollPending);
        Assert.Equal(3, server.Engine.SessionCount);

        var stopping = server.StopAsync();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await eio4.WaitForCloseAsync());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await eio3.WaitForCloseAsync());
        Assert.Equal((HttpStatusCode.OK, "1"), await poll.Limit());
        await stopping.Limit();
        Assert.Equal(0, server.Engine.SessionCount);
        Assert.False(server.Engine.IsAccepting);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("server shutting down", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
        }

        Bystander.AssertNoUnhandledExceptions(server);
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class EngineIOEndpointsShutdownTestsDirect() : EngineIOEndpointsShutdownTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class EngineIOEndpointsShutdownTestsOverHttpPipeline() : EngineIOEndpointsShutdownTests(SocketIOHosting.HttpPipeline);
