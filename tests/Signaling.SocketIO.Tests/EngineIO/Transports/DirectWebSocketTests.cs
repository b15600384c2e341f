using System.Diagnostics.Metrics;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

/// <summary>
/// WebSocket handshakes served on the connection (UseSocketIOWebSockets): which connections it takes, and that every
/// other one still reaches Kestrel's HTTP server intact, however its bytes arrive.
/// </summary>
public sealed class DirectWebSocketTests : IDisposable
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private readonly MeterListener _listener = new();
    private IMeterFactory? _meters;
    private long _direct;

    public DirectWebSocketTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "engineio.websockets.direct" && ReferenceEquals(instrument.Meter.Scope, Volatile.Read(ref _meters)))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _direct, value));
    }

    private long DirectCount => Interlocked.Read(ref _direct);

    public void Dispose() => _listener.Dispose();

    private async Task<SocketIOTestServer> StartAsync(Action<EngineIOOptions>? engineIO = null, Action<KestrelServerOptions>? kestrel = null, string[]? allowedHosts = null)
    {
        var server = await SocketIOTestServer.StartAsync(SocketIOHosting.Direct, engineIO, kestrelOptions: kestrel, allowedHosts: allowedHosts);
        Volatile.Write(ref _meters, server.Services.GetRequiredService<IMeterFactory>());
        _listener.Start();
        return server;
    }

    private static string Handshake(string query = "EIO=4&transport=websocket", string path = "/socket.io/", string host = "127.0.0.1")
        => $"GET {path}?{query} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Key}\r\nSec-WebSocket-Version: 13\r\n\r\n";

    [Fact]
    public async Task A_websocket_client_is_served_on_the_connection()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();
        await Bystander.AssertServedAsync(server, client, "direct");

        Assert.Equal(1, DirectCount);
        Assert.False(client.Socket.HttpResponseHeaders!.ContainsKey("Server"), "Kestrel's HTTP response would name the server");
    }

    [Fact]
    public async Task A_handshake_arriving_byte_by_byte_is_answered_and_frames_follow()
    {
        await using var server = await StartAsync();
        using var tcp = await ConnectAsync(server);
        var stream = tcp.GetStream();

        await WriteSlowlyAsync(stream, Handshake());
        var head = await ReadHeadAsync(stream);

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", head);
        var open = await ReadServerFrameAsync(stream);
        Assert.StartsWith("0{\"sid\":", open);
        Assert.Equal(1, DirectCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(40)]
    public async Task Other_requests_in_pieces_reach_the_HTTP_server_intact(int pieceSize)
    {
        await using var server = await StartAsync();
        using var tcp = await ConnectAsync(server);
        var stream = tcp.GetStream();

        await WriteSlowlyAsync(stream, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", pieceSize);
        var response = await ReadHeadAsync(stream);

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", response);
        Assert.Equal(0, DirectCount);
        Assert.Equal(1, server.Engine.SessionCount);
    }

    [Fact]
    public async Task A_handshake_the_endpoint_refuses_gets_the_usual_error_from_the_HTTP_pipeline()
    {
        await using var server = await StartAsync(o => o.AllowEIO3 = false);
        using var tcp = await ConnectAsync(server);
        var stream = tcp.GetStream();

        await WriteSlowlyAsync(stream, Handshake("EIO=3&transport=websocket"), 16);
        var response = await ReadHeadAsync(stream);

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", response);
        Assert.Equal(0, DirectCount);
    }

    [Fact]
    public async Task A_websocket_on_a_kept_alive_connection_goes_through_the_HTTP_pipeline()
    {
        await using var server = await StartAsync();
        using var tcp = await ConnectAsync(server);
        var stream = tcp.GetStream();

        await WriteSlowlyAsync(stream, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 1000);
        var first = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", first);
        var length = int.Parse(first.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await stream.ReadExactlyAsync(new byte[length], TestTimeouts.Token());

        await WriteSlowlyAsync(stream, Handshake(), 1000);
        var second = await ReadHeadAsync(stream);

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", second);
        Assert.StartsWith("0{\"sid\":", await ReadServerFrameAsync(stream));
        Assert.Equal(0, DirectCount);
    }

    [Fact]
    public async Task A_handshake_for_another_path_goes_to_the_HTTP_server()
    {
        await using var server = await StartAsync();
        using var tcp = await ConnectAsync(server);
        var stream = tcp.GetStream();

        await WriteSlowlyAsync(stream, Handshake(path: "/elsewhere/"), 1000);

        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", await ReadHeadAsync(stream));
        Assert.Equal(0, DirectCount);
    }

    [Theory]
    [InlineData("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgr")]
    [InlineData("\x16\x03\x01\x00\xff\x01\x00\x00\xfb\x03\x03")]
    [InlineData("GARBAGE GARBAGE GARBAGE\r\n\r\n")]
    public async Task Cut_off_or_garbage_first_bytes_harm_no_one(string bytes)
    {
        await using var server = await StartAsync();
        await using var bystander = await server.ConnectedWebSocketAsync();

        using (var tcp = await ConnectAsync(server))
        {
            await tcp.GetStream().WriteAsync(Encoding.Latin1.GetBytes(bytes), TestTimeouts.Token());
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await Bystander.AssertServedAsync(server, bystander, "still here");
        Bystander.AssertNoUnhandledExceptions(server);
    }

    [Fact]
    public async Task A_client_that_closes_its_connection_ends_the_session()
    {
        await using var server = await StartAsync();
        using (var tcp = await ConnectAsync(server))
        {
            var stream = tcp.GetStream();
            await WriteSlowlyAsync(stream, Handshake(), 1000);
            await ReadHeadAsync(stream);
            await ReadServerFrameAsync(stream);
            Assert.Equal(1, server.Engine.SessionCount);
        }

        await server.ConnectionsCompleted.Reader.ReadAsync(TestTimeouts.Token());
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (server.Engine.SessionCount != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(0, server.Engine.SessionCount);
        Bystander.AssertNoUnhandledExceptions(server);
    }

    [Fact]
    public async Task A_client_that_resets_during_its_first_request_is_no_error()
    {
        await using var server = await StartAsync();
        using (var tcp = await ConnectAsync(server))
        {
            await WriteSlowlyAsync(tcp.GetStream(), Handshake()[..50], 1000);
            await Task.Delay(50, TestContext.Current.CancellationToken);
            tcp.Client.LingerState = new LingerOption(true, 0);
            tcp.Client.Close();
        }

        await server.ConnectionsCompleted.Reader.ReadAsync(TestTimeouts.Token());

        // Kestrel logs a connection's unhandled exception just after the connection delegate ends.
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Bystander.AssertNoUnhandledExceptions(server);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_handshake_left_unfinished_is_dropped_after_the_headers_timeout()
    {
        await using var server = await SocketIOTestServer.StartAsync(SocketIOHosting.Direct, kestrelOptions: k => k.Limits.RequestHeadersTimeout = TimeSpan.FromMilliseconds(300));
        using var tcp = await ConnectAsync(server);
        await WriteSlowlyAsync(tcp.GetStream(), Handshake()[..50], 1000);

        var read = await Record.ExceptionAsync(async () => Assert.Equal(0, await tcp.GetStream().ReadAsync(new byte[16], TestTimeouts.Token())));

        Assert.True(read is null or IOException, read?.ToString());
        Bystander.AssertNoUnhandledExceptions(server);
    }

    [Fact]
    public async Task Stopping_the_server_closes_a_connection_that_never_sent_a_request_at_once()
    {
        // Kestrel's RequestHeadersTimeout (30 s) outlasts the test's timeout: waiting for it would fail the test.
        await using var server = await StartAsync();
        using var tcp = await ConnectAsync(server);
        await Task.Delay(50, TestContext.Current.CancellationToken);

        var stopping = server.StopAsync();
        var read = await tcp.GetStream().ReadAsync(new byte[16], TestTimeouts.Token());

        Assert.Equal(0, read);
        await stopping;
    }

    [Fact]
    public async Task An_infinite_headers_timeout_is_honoured()
    {
        await using var server = await SocketIOTestServer.StartAsync(SocketIOHosting.Direct, kestrelOptions: k => k.Limits.RequestHeadersTimeout = Timeout.InfiniteTimeSpan);
        using var http = server.CreateHttpClient();
        using var response = await http.GetAsync("socket.io/?EIO=4&transport=polling", TestTimeouts.Token());
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        await using var client = await server.ConnectedWebSocketAsync();
        await Bystander.AssertServedAsync(server, client, "no timeout");
    }

    [Theory]
    [InlineData("chat.example.com", "direct")]
    [InlineData("CHAT.example.com:8443", "direct")]
    [InlineData("a.calls.example.com", "direct")]
    [InlineData("calls.example.com", "refused")]
    [InlineData("127.0.0.1", "refused")]
    [InlineData("evil.test", "refused")]
    [InlineData("", "http")] // the filter allows an empty Host by default: Kestrel's pipeline serves it
    public async Task With_host_filtering_only_handshakes_for_allowed_hosts_are_taken_and_the_filter_judges_the_rest(string host, string outcome)
    {
        await using var server = await StartAsync(allowedHosts: ["chat.example.com", "*.calls.example.com"]);
        using var tcp = await ConnectAsync(server);
        var stream = tcp.GetStream();

        await WriteSlowlyAsync(stream, Handshake(host: host), 1000);
        var head = await ReadHeadAsync(stream);

        if (outcome == "refused")
        {
            Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", head);
            Assert.Equal(0, server.Engine.SessionCount);
        }
        else
        {
            Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head);
            Assert.StartsWith("0{\"sid\":", await ReadServerFrameAsync(stream));
        }

        Assert.Equal(outcome == "direct" ? 1 : 0, DirectCount);
    }

    [Fact]
    public async Task With_an_upgraded_connection_limit_every_handshake_goes_through_Kestrel_which_counts_it()
    {
        await using var server = await StartAsync(kestrel: k => k.Limits.MaxConcurrentUpgradedConnections = 1);
        await using var first = await server.ConnectedWebSocketAsync();
        Assert.Equal(0, DirectCount);

        // The limit holds: a second WebSocket is not upgraded while the first is open.
        using var tcp = await ConnectAsync(server);
        var stream = tcp.GetStream();
        await WriteSlowlyAsync(stream, Handshake(), 1000);
        Assert.DoesNotContain("101 Switching Protocols", await ReadHeadAsync(stream));
        Assert.Equal(0, DirectCount);
        await Bystander.AssertServedAsync(server, first, "first");
    }

    private static async Task<TcpClient> ConnectAsync(SocketIOTestServer server)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port, TestTimeouts.Token());
        return tcp;
    }

    private static async Task WriteSlowlyAsync(NetworkStream stream, string text, int pieceSize = 1)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        for (var offset = 0; offset < bytes.Length; offset += pieceSize)
        {
            await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(pieceSize, bytes.Length - offset)), TestTimeouts.Token());
            await stream.FlushAsync(TestTimeouts.Token());
            if (pieceSize < bytes.Length)
            {
                await Task.Delay(2, TestContext.Current.CancellationToken);
            }
        }
    }

    /// <summary>Reads an HTTP response head (status line and headers) byte by byte, leaving the rest in the stream.</summary>
    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one, TestTimeouts.Token());
            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>Reads one unmasked text frame (shorter than 126 bytes) from the server.</summary>
    private static async Task<string> ReadServerFrameAsync(NetworkStream stream)
    {
        var header = new byte[2];
        await stream.ReadExactlyAsync(header, TestTimeouts.Token());
        Assert.Equal(0x81, header[0]);
        Assert.True(header[1] < 126);
        var payload = new byte[header[1]];
        await stream.ReadExactlyAsync(payload, TestTimeouts.Token());
        return Encoding.UTF8.GetString(payload);
    }
}
