using System.Net;
using System.Text.Json;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

/// <summary>Every refusal is HTTP 400 with the <c>{code, message}</c> body Engine.IO clients parse.</summary>
public abstract class HttpErrorTests(SocketIOHosting hosting)
{
    public static TheoryData<string, string, int, string> Errors => new()
    {
        { "GET", "EIO=4&transport=carrier-pigeon", 0, "Transport unknown" },
        { "GET", "EIO=4", 0, "Transport unknown" },
        { "GET", "EIO=4&transport=polling&sid=no-such-session", 1, "Session ID unknown" },
        { "POST", "EIO=4&transport=polling&sid=no-such-session", 1, "Session ID unknown" },
        { "POST", "EIO=4&transport=polling", 2, "Bad handshake method" },
        { "PUT", "EIO=4&transport=polling", 2, "Bad handshake method" },
        { "GET", "EIO=4&transport=websocket", 3, "Bad request" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task Refuses_with_code_and_message(string method, string query, int code, string message)
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        using var http = server.CreateHttpClient();

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), "socket.io/?" + query), TestTimeouts.Token());

        await AssertErrorAsync(response, code, message);
    }

    [Theory]
    [InlineData("EIO=3&transport=polling")]
    [InlineData("transport=polling")]
    [InlineData("EIO=abc&transport=polling")]
    [InlineData("EIO=5&transport=polling")]
    public async Task Refuses_protocol_3_and_unknown_versions_when_EIO3_is_disabled(string query)
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting, engineIO: o => o.AllowEIO3 = false);
        using var http = server.CreateHttpClient();

        using var response = await http.GetAsync("socket.io/?" + query, TestTimeouts.Token());

        await AssertErrorAsync(response, 5, "Unsupported protocol version");
        Assert.Equal(0, server.Engine.SessionCount);
    }

    [Fact]
    public async Task Refuses_a_websocket_upgrade_for_an_unknown_session_before_upgrading()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);

        var status = await WebSocketClient.TryConnectAsync(new Uri(server.BaseAddress, "socket.io/?EIO=4&transport=websocket&sid=no-such-session"));

        Assert.Equal(400, status);
    }

    [Fact]
    public async Task Refuses_a_websocket_upgrade_with_EIO3_when_disabled_before_upgrading()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting, engineIO: o => o.AllowEIO3 = false);

        var status = await WebSocketClient.TryConnectAsync(new Uri(server.BaseAddress, "socket.io/?EIO=3&transport=websocket"));

        Assert.Equal(400, status);
    }

    [Fact]
    public async Task Ignores_unknown_query_parameters()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        using var http = server.CreateHttpClient();

        using var response = await http.GetAsync("socket.io/?EIO=4&transport=polling&t=Nx8abc&foo=bar", TestTimeouts.Token());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    internal static async Task AssertErrorAsync(HttpResponseMessage response, int code, string message)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestTimeouts.Token())).RootElement;
        Assert.Equal(code, body.GetProperty("code").GetInt32());
        Assert.Equal(message, body.GetProperty("message").GetString());
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class HttpErrorTestsDirect() : HttpErrorTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class HttpErrorTestsOverHttpPipeline() : HttpErrorTests(SocketIOHosting.HttpPipeline);
