using System.Net;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

public abstract class CorsTests(SocketIOHosting hosting)
{
    private const string Allowed = "https://app.example.com";

    private Task<SocketIOTestServer> StartAsync() => SocketIOTestServer.StartAsync(hosting, engineIO: o => o.AllowedOrigins.Add(Allowed));

    [Fact]
    public async Task Echoes_an_allowed_origin_with_credentials()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "socket.io/?EIO=3&transport=polling");
        request.Headers.Add("Origin", Allowed);

        using var response = await http.SendAsync(request, TestTimeouts.Token());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Allowed], response.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(["true"], response.Headers.GetValues("Access-Control-Allow-Credentials"));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task Refuses_a_disallowed_origin()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "socket.io/?EIO=4&transport=polling");
        request.Headers.Add("Origin", "https://evil.example.com");

        using var response = await http.SendAsync(request, TestTimeouts.Token());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(0, server.Engine.SessionCount);
    }

    [Fact]
    public async Task Answers_a_preflight()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Options, "socket.io/?EIO=4&transport=polling&sid=anything");
        request.Headers.Add("Origin", Allowed);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");

        using var response = await http.SendAsync(request, TestTimeouts.Token());

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal([Allowed], response.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(["true"], response.Headers.GetValues("Access-Control-Allow-Credentials"));
        Assert.Contains("POST", string.Join(",", response.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.Equal(["content-type"], response.Headers.GetValues("Access-Control-Allow-Headers"));
    }

    [Fact]
    public async Task Sends_no_cors_headers_without_an_origin()
    {
        await using var server = await StartAsync();
        using var http = server.CreateHttpClient();

        using var response = await http.GetAsync("socket.io/?EIO=4&transport=polling", TestTimeouts.Token());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class CorsTestsDirect() : CorsTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class CorsTestsOverHttpPipeline() : CorsTests(SocketIOHosting.HttpPipeline);
