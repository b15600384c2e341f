using System.Net;
using Microsoft.Extensions.Logging;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO;

/// <summary>A client that does not take its packets fills its bounded send queue and is closed; others are unaffected.</summary>
public abstract class EngineSessionSendQueueTests(SocketIOHosting hosting)
{
    private const int MaxQueuedPackets = 16;

    private Task<SocketIOTestServer> StartAsync() => SocketIOTestServer.StartAsync(hosting, engineIO: o => o.MaxQueuedPackets = MaxQueuedPackets);

    [Fact]
    public async Task Polling_client_that_stops_polling_is_closed_when_its_queue_is_full()
    {
        await using var server = await StartAsync();
        await using var bystander = await server.ConnectedWebSocketAsync();
        await server.NextConnectedAsync();
        using var slow = server.Polling();
        await slow.ConnectAsync();
        var socket = await server.NextConnectedAsync();

        var sent = 0;
        while (socket.Emit("tick", sent))
        {
            sent++;
            Assert.True(sent <= MaxQueuedPackets);
        }

        Assert.Equal(MaxQueuedPackets, sent);
        Assert.Equal("send queue full", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
        Assert.Contains(server.Logs.Entries, e => e.Level == LogLevel.Warning && e.EventId.Id == 10);
        Assert.Equal(HttpStatusCode.BadRequest, (await slow.GetAsync()).Status);
        await Bystander.AssertServedAsync(server, bystander, "unaffected");
        Bystander.AssertNoUnhandledExceptions(server);
    }

    [Fact]
    public async Task Websocket_client_that_stops_reading_is_closed_and_its_connection_released()
    {
        await using var server = await StartAsync();
        await using var bystander = await server.ConnectedWebSocketAsync();
        var bystanderSocket = await server.NextConnectedAsync();
        await using var slow = await server.ConnectedWebSocketAsync();
        var socket = await server.NextConnectedAsync();
        var payload = new string('x', 64 * 1024);

        // Emitting at a pace the writer keeps up with until the socket buffers are full: the writer is then stuck
        // in a send the client never reads, and only then does the queue fill. The bound keeps a broken server
        // from looping forever.
        var sent = 0;
        while (socket.Emit("big", payload))
        {
            sent++;
            Assert.True(sent < 10_000);
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.True(sent > MaxQueuedPackets);

        Assert.Equal("send queue full", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);

        // The server must not wait for the client to read again: the connection ends on its own.
        await server.ConnectionsCompleted.Reader.ReadAsync(TestTimeouts.Token());
        await Bystander.AssertServedAsync(server, bystander, "unaffected");
        Assert.True(bystanderSocket.Connected);
        Bystander.AssertNoUnhandledExceptions(server);
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class EngineSessionSendQueueTestsDirect() : EngineSessionSendQueueTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class EngineSessionSendQueueTestsOverHttpPipeline() : EngineSessionSendQueueTests(SocketIOHosting.HttpPipeline);
