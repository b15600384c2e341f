using System.Net;
using System.Net.WebSockets;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO;

/// <summary>Heartbeats over real sockets with short intervals: EIO4 pings from the server, EIO3 from the client.</summary>
public abstract class EngineSessionHeartbeatTests(SocketIOHosting hosting)
{
    // Short enough to keep the tests quick, long enough that a busy test machine answers pings in time.
    private Task<SocketIOTestServer> StartAsync() => SocketIOTestServer.StartAsync(hosting, engineIO: o =>
    {
        o.PingInterval = TimeSpan.FromMilliseconds(200);
        o.PingTimeout = TimeSpan.FromMilliseconds(400);
    });

    [Fact]
    public async Task EIO4_websocket_is_pinged_stays_open_while_it_answers_and_is_closed_when_it_stops()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("2", await client.ReceiveTextAsync());
            await client.SendTextAsync("3");
        }

        Assert.Equal("2", await client.ReceiveTextAsync());
        Assert.NotNull(await client.WaitForCloseAsync());
        var (_, reason) = await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token());
        Assert.Equal("ping timeout", reason);
    }

    [Fact]
    public async Task EIO4_polling_gets_pings_and_the_session_is_gone_after_a_missing_pong()
    {
        await using var server = await StartAsync();
        using var client = server.Polling();
        await client.ConnectAsync();

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "2"), await client.GetAsync());
            Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostAsync("3"));
        }

        Assert.Equal((HttpStatusCode.OK, "2"), await client.GetAsync());

        // No pong: the session is closed by the timeout and a later request finds it gone.
        var (_, reason) = await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token());
        Assert.Equal("ping timeout", reason);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync()).Status);
    }

    [Fact]
    public async Task EIO4_client_ping_is_a_protocol_error()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();

        await client.SendTextAsync("2");

        Assert.NotNull(await client.WaitForCloseAsync());
        Assert.Equal("invalid heartbeat direction", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
    }

    [Fact]
    public async Task EIO3_client_pings_are_answered_with_pongs_and_probe_pings_echo_their_data()
    {
        await using var server = await StartAsync();
        await using var client = await server.WebSocketAsync(protocol: 3);
        Assert.StartsWith("0{", await client.ReceiveTextAsync());
        Assert.Equal("40", await client.ReceiveTextAsync());

        for (var i = 0; i < 5; i++)
        {
            await client.SendTextAsync("2");
            Assert.Equal("3", await client.ReceiveTextAsync());
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await client.SendTextAsync("2probe");
        Assert.Equal("3probe", await client.ReceiveTextAsync());
        Assert.Equal(WebSocketState.Open, client.Socket.State);
    }

    [Fact]
    public async Task EIO3_session_without_client_pings_times_out()
    {
        await using var server = await StartAsync();
        await using var client = await server.WebSocketAsync(protocol: 3);

        // The server never pings an EIO3 client: it expects pings within pingInterval + pingTimeout.
        Assert.StartsWith("0{", await client.ReceiveTextAsync());
        Assert.Equal("40", await client.ReceiveTextAsync());
        Assert.NotNull(await client.WaitForCloseAsync());
        Assert.Equal("ping timeout", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
    }

    [Fact]
    public async Task EIO3_polling_session_without_client_pings_times_out()
    {
        await using var server = await StartAsync();
        using var client = server.Polling(protocol: 3, extraQuery: "&b64=1");
        await client.ConnectAsync();

        Assert.Equal("ping timeout", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync()).Status);
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class EngineSessionHeartbeatTestsDirect() : EngineSessionHeartbeatTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class EngineSessionHeartbeatTestsOverHttpPipeline() : EngineSessionHeartbeatTests(SocketIOHosting.HttpPipeline);
