using System.Net;
using System.Net.WebSockets;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

/// <summary>Malformed Engine.IO input closes the offending session only; its neighbours keep working.</summary>
public abstract class MalformedFrameTests(SocketIOHosting hosting)
{
    public static TheoryData<int, string> WebSocketFrames => new()
    {
        { 4, "text:" },
        { 4, "text:abc" },
        { 4, "text:9" },
        { 4, "text:\u0000" },
        { 4, "hex:34fffe" },
        { 3, "text:x" },
        { 3, "bin:" },
        { 3, "bin:09010203" },
        { 3, "text:3" },
    };

    [Theory]
    [MemberData(nameof(WebSocketFrames))]
    public async Task Malformed_websocket_frame_closes_that_connection_only(int protocol, string frame)
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        await using var bystander = await server.ConnectedWebSocketAsync();
        await using var victim = await server.WebSocketAsync(protocol);
        Assert.StartsWith("0{", await victim.ReceiveTextAsync());

        await SendAsync(victim, frame);

        Assert.True(await victim.WaitForCloseAsync() is null or WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.InvalidPayloadData);
        await Bystander.AssertServedAsync(server, bystander, "still here");
        Bystander.AssertNoUnhandledExceptions(server);
    }

    public static TheoryData<int, string> PollingBodies => new()
    {
        { 4, "abc" },
        { 4, "4a\u001e\u001e4b" },
        { 4, "b!!!not-base64" },
        { 4, "\u001e" },
        { 3, "abc" },
        { 3, "5:4ab" },
        { 3, "0:" },
        { 3, "99999999999999999999:4" },
        { 3, "2:4ax" },
        { 3, "4:b4!!" },
        { 3, "\u0001\u0009\u00ff" },
    };

    [Theory]
    [MemberData(nameof(PollingBodies))]
    public async Task Malformed_polling_payload_gets_400_and_closes_that_session_only(int protocol, string body)
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        await using var bystander = await server.ConnectedWebSocketAsync();
        using var victim = server.Polling(protocol);
        await victim.HandshakeAsync();

        Assert.Equal(HttpStatusCode.BadRequest, (await victim.PostAsync(body)).Status);

        Assert.Equal(HttpStatusCode.BadRequest, (await victim.GetAsync()).Status);
        await Bystander.AssertServedAsync(server, bystander, "still here");
        Bystander.AssertNoUnhandledExceptions(server);
    }

    [Fact]
    public async Task EIO4_client_ping_over_polling_closes_the_session()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        using var victim = server.Polling();
        await victim.HandshakeAsync();

        // The payload parses, so the POST succeeds; the ping itself is the protocol error.
        await victim.PostAsync("2");

        Assert.Equal(HttpStatusCode.BadRequest, (await victim.GetAsync()).Status);
        Bystander.AssertNoUnhandledExceptions(server);
    }

    [Fact]
    public async Task Malformed_binary_polling_payload_of_EIO3_closes_the_session()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        using var victim = server.Polling(protocol: 3);
        await victim.HandshakeAsync();
        using var content = new ByteArrayContent([1, 9, 9, 9, 9, 9, 0xff, 4, 1]);
        content.Headers.ContentType = new("application/octet-stream");

        Assert.Equal(HttpStatusCode.BadRequest, (await victim.PostAsync(content)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await victim.GetAsync()).Status);
        Bystander.AssertNoUnhandledExceptions(server);
    }

    internal static Task SendAsync(WebSocketClient client, string frame)
    {
        var colon = frame.IndexOf(':', StringComparison.Ordinal);
        var kind = frame[..colon];
        var data = frame[(colon + 1)..];
        return kind switch
        {
            "text" => client.SendTextAsync(data),
            "bin" => client.SendBinaryAsync(Convert.FromHexString(data)),

            // A text frame whose bytes are not UTF-8.
            "hex" => client.Socket.SendAsync(Convert.FromHexString(data), WebSocketMessageType.Text, true, TestTimeouts.Token()),
            _ => throw new ArgumentException(frame),
        };
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class MalformedFrameTestsDirect() : MalformedFrameTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class MalformedFrameTestsOverHttpPipeline() : MalformedFrameTests(SocketIOHosting.HttpPipeline);
