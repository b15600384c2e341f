using System.Net;
using System.Text.Json;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

public abstract class HandshakeTests(SocketIOHosting hosting)
{
    private static void AssertOpenPacket(JsonElement open, string[] upgrades, bool hasMaxPayload)
    {
        string[] keys = hasMaxPayload ? ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"] : ["sid", "upgrades", "pingInterval", "pingTimeout"];
        Assert.Equal(keys, open.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrEmpty(open.GetProperty("sid").GetString()));
        Assert.Equal(upgrades, open.GetProperty("upgrades").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1500, open.GetProperty("pingInterval").GetInt32());
        Assert.Equal(1000, open.GetProperty("pingTimeout").GetInt32());
        if (hasMaxPayload)
        {
            Assert.Equal(50_000, open.GetProperty("maxPayload").GetInt32());
        }
    }

    private Task<SocketIOTestServer> StartAsync() => SocketIOTestServer.StartAsync(hosting, engineIO: o =>
    {
        o.PingInterval = TimeSpan.FromMilliseconds(1500);
        o.PingTimeout = TimeSpan.FromMilliseconds(1000);
        o.MaxPayload = 50_000;
    });

    [Fact]
    public async Task EIO4_polling_handshake_is_the_open_packet_alone()
    {
        await using var server = await StartAsync();
        using var client = server.Polling();

        using var response = await client.Http.GetAsync(client.Url, TestTimeouts.Token());
        var body = await response.Content.ReadAsStringAsync(TestTimeouts.Token());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=UTF-8", response.Content.Headers.ContentType?.ToString());
        Assert.StartsWith("0{", body);
        Assert.DoesNotContain('\u001e', body);
        AssertOpenPacket(JsonDocument.Parse(body[1..]).RootElement, ["websocket"], hasMaxPayload: true);
    }

    [Fact]
    public async Task EIO4_polling_session_waits_for_CONNECT_then_answers_with_a_socket_id()
    {
        await using var server = await StartAsync();
        using var client = server.Polling();
        var (open, _) = await client.HandshakeAsync();

        Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostAsync("40"));
        var (status, body) = await client.GetAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        var connect = JsonDocument.Parse(body[2..]).RootElement;
        Assert.Equal(["sid"], connect.EnumerateObject().Select(p => p.Name));
        Assert.NotEqual(open.GetProperty("sid").GetString(), connect.GetProperty("sid").GetString());
    }

    [Fact]
    public async Task EIO3_polling_handshake_has_the_open_packet_then_40_in_length_prefixed_framing()
    {
        await using var server = await StartAsync();
        using var client = server.Polling(protocol: 3, extraQuery: "&b64=1");

        var (open, body) = await client.HandshakeAsync();

        var packets = EngineIO3Payload.Split(body);
        Assert.Equal(2, packets.Length);
        Assert.Equal("40", packets[1]);
        AssertOpenPacket(open, ["websocket"], hasMaxPayload: false);
        var socket = await server.NextConnectedAsync();
        Assert.Equal(client.Sid, socket.Id);
    }

    [Fact]
    public async Task EIO4_websocket_handshake_sends_the_open_packet_without_upgrades_and_nothing_before_CONNECT()
    {
        await using var server = await StartAsync();
        await using var client = await server.WebSocketAsync();

        var open = await client.ReceiveTextAsync();
        AssertOpenPacket(JsonDocument.Parse(open[1..]).RootElement, [], hasMaxPayload: true);

        await client.SendTextAsync("40");
        Assert.StartsWith("40{\"sid\":", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task EIO3_websocket_handshake_sends_the_open_packet_then_40()
    {
        await using var server = await StartAsync();
        await using var client = await server.WebSocketAsync(protocol: 3);

        var open = JsonDocument.Parse((await client.ReceiveTextAsync())[1..]).RootElement;

        AssertOpenPacket(open, [], hasMaxPayload: false);
        Assert.Equal("40", await client.ReceiveTextAsync());
        Assert.Equal(open.GetProperty("sid").GetString(), (await server.NextConnectedAsync()).Id);
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class HandshakeTestsDirect() : HandshakeTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class HandshakeTestsOverHttpPipeline() : HandshakeTests(SocketIOHosting.HttpPipeline);
