using System.Net;
using System.Net.WebSockets;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

/// <summary>The polling → WebSocket upgrade: probe, noop to the pending poll, upgrade packet, then polling is refused.</summary>
public abstract class UpgradeTests(SocketIOHosting hosting)
{
    [Theory]
    [InlineData(4, "")]
    [InlineData(3, "&b64=1")]
    [InlineData(3, "")]
    public async Task Upgrades_releases_the_pending_poll_with_a_noop_and_refuses_polling_afterwards(int protocol, string query)
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        using var polling = server.Polling(protocol, query);
        await polling.ConnectAsync();
        var pendingPoll = polling.GetAsync();

        await using var ws = await server.WebSocketAsync(protocol, polling.Sid);
        await ws.SendTextAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());
        var (status, body) = await pendingPoll.Limit();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(protocol == 3 ? "1:6" : "6", body);

        await ws.SendTextAsync("5");
        await ws.SendTextAsync("42[\"echo\",\"over websocket\"]");
        Assert.Equal("42[\"echo-back\",\"over websocket\"]", await ws.ReceiveTextAnsweringPingsAsync());

        using var get = await polling.Http.GetAsync(polling.Url, TestTimeouts.Token());
        await HttpErrorTests.AssertErrorAsync(get, 3, "Bad request");
        using var post = await polling.Http.PostAsync(polling.Url, new StringContent("3"), TestTimeouts.Token());
        await HttpErrorTests.AssertErrorAsync(post, 3, "Bad request");
    }

    [Fact]
    public async Task Packets_queued_during_the_upgrade_go_out_over_the_websocket_without_the_noop()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        using var polling = server.Polling();
        await polling.ConnectAsync();
        var socket = await server.NextConnectedAsync();

        await using var ws = await server.WebSocketAsync(sid: polling.Sid);
        await ws.SendTextAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());
        Assert.True(socket.Emit("during-upgrade", 1));
        await ws.SendTextAsync("5");

        Assert.Equal("42[\"during-upgrade\",1]", await ws.ReceiveTextAnsweringPingsAsync());
    }

    [Fact]
    public async Task A_second_websocket_for_an_upgraded_session_is_accepted_then_closed()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        using var polling = server.Polling();
        await polling.ConnectAsync();
        await using var ws = await server.WebSocketAsync(sid: polling.Sid);
        await ws.SendTextAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());
        await ws.SendTextAsync("5");

        await using var second = await server.WebSocketAsync(sid: polling.Sid);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await second.WaitForCloseAsync());
        await ws.SendTextAsync("42[\"echo\",\"first still works\"]");
        Assert.Equal("42[\"echo-back\",\"first still works\"]", await ws.ReceiveTextAnsweringPingsAsync());
    }

    [Fact]
    public async Task A_failed_probe_leaves_the_session_on_polling()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        using var polling = server.Polling();
        await polling.ConnectAsync();

        await using (var ws = await server.WebSocketAsync(sid: polling.Sid))
        {
            await ws.SendTextAsync("5");
            Assert.Null(await ws.WaitForCloseAsync());
        }

        Assert.Equal((HttpStatusCode.OK, "ok"), await polling.PostAsync("42[\"echo\",\"still polling\"]"));
        var (status, body) = await polling.GetAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("42[\"echo-back\",\"still polling\"]", body.Split('\u001e'));
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class UpgradeTestsDirect() : UpgradeTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class UpgradeTestsOverHttpPipeline() : UpgradeTests(SocketIOHosting.HttpPipeline);
