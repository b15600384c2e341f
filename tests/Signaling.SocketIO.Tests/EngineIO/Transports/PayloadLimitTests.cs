using System.Net;
using System.Net.WebSockets;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

public abstract class PayloadLimitTests(SocketIOHosting hosting)
{
    private const int MaxPayload = 1000;

    private Task<SocketIOTestServer> StartAsync() => SocketIOTestServer.StartAsync(hosting, engineIO: o => o.MaxPayload = MaxPayload);

    private static string Echo(int totalLength)
    {
        const string head = "42[\"echo\",\"";
        const string tail = "\"]";
        return head + new string('x', totalLength - head.Length - tail.Length) + tail;
    }

    [Fact]
    public async Task Polling_post_of_exactly_max_payload_is_accepted()
    {
        await using var server = await StartAsync();
        using var client = server.Polling();
        await client.ConnectAsync();

        Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostAsync(Echo(MaxPayload)));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync()).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Polling_post_larger_than_max_payload_gets_413_and_closes_the_session(bool chunked)
    {
        await using var server = await StartAsync();
        using var client = server.Polling();
        await client.ConnectAsync();
        using var content = new StringContent(Echo(MaxPayload + 1));
        if (chunked)
        {
            // Without a Content-Length the limit is enforced while reading the body.
            content.Headers.ContentLength = null;
            await content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
            content.Headers.ContentLength = null;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, client.Url) { Content = content };
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        using var response = await client.Http.SendAsync(request, TestTimeouts.Token());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload too large", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync()).Status);
    }

    [Fact]
    public async Task Websocket_message_of_exactly_max_payload_is_accepted()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();

        await client.SendTextAsync(Echo(MaxPayload));

        Assert.StartsWith("42[\"echo-back\",\"xxx", await client.ReceiveTextAnsweringPingsAsync());
    }

    [Fact]
    public async Task Websocket_message_larger_than_max_payload_closes_with_1009()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();

        await client.SendTextAsync(Echo(MaxPayload + 1));

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitForCloseAsync());
        Assert.Equal("message too big", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
    }

    [Fact]
    public async Task Websocket_message_larger_than_max_payload_in_fragments_closes_with_1009()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();
        var fragment = new byte[400];
        Array.Fill(fragment, (byte)'x');
        fragment[0] = (byte)'4';

        // Never ends the message: the server must stop reading at the limit, not wait for the end.
        for (var i = 0; i < 4 && client.Socket.State == WebSocketState.Open; i++)
        {
            try
            {
                await client.Socket.SendAsync(fragment, WebSocketMessageType.Text, endOfMessage: false, TestTimeouts.Token());
            }
            catch (WebSocketException)
            {
            }
        }

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitForCloseAsync());
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class PayloadLimitTestsDirect() : PayloadLimitTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class PayloadLimitTestsOverHttpPipeline() : PayloadLimitTests(SocketIOHosting.HttpPipeline);
