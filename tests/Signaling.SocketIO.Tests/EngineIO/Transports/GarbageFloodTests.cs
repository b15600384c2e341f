using System.Net.WebSockets;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

/// <summary>One client floods the server with garbage while another exchanges normally.</summary>
public abstract class GarbageFloodTests(SocketIOHosting hosting)
{
    private const int Connections = 20;
    private const int FramesPerConnection = 50;
    private const int RoundTrips = 50;

    [Fact]
    public async Task Garbage_flood_from_one_client_does_not_disturb_another_nor_reach_the_log_as_an_error()
    {
        await using var server = await SocketIOTestServer.StartAsync(hosting);
        await using var bystander = await server.ConnectedWebSocketAsync();

        var flood = Task.WhenAll(FloodWebSocketsAsync(server), FloodPollingAsync(server));
        for (var i = 0; i < RoundTrips; i++)
        {
            await bystander.SendTextAsync($"42[\"echo\",{i}]");
            Assert.Equal($"42[\"echo-back\",{i}]", await bystander.ReceiveTextAnsweringPingsAsync());
        }

        await flood.Limit(TimeSpan.FromSeconds(60));
        await Bystander.AssertServedAsync(server, bystander, "after the flood");
        Assert.Equal(WebSocketState.Open, bystander.Socket.State);
        Bystander.AssertNoUnhandledExceptions(server);
    }

    private static async Task FloodWebSocketsAsync(SocketIOTestServer server)
    {
        var random = new Random(1234);
        for (var c = 0; c < Connections; c++)
        {
            await using var attacker = await server.WebSocketAsync(protocol: random.Next(2) == 0 ? 3 : 4);
            for (var f = 0; f < FramesPerConnection && attacker.Socket.State == WebSocketState.Open; f++)
            {
                var frame = new byte[random.Next(0, 2048)];
                random.NextBytes(frame);
                var type = random.Next(3) switch
                {
                    0 => WebSocketMessageType.Binary,
                    _ => WebSocketMessageType.Text,
                };
                if (type == WebSocketMessageType.Text && frame.Length > 0 && random.Next(2) == 0)
                {
                    // Half the text frames look almost right: a valid type digit, then noise.
                    frame[0] = (byte)('0' + random.Next(7));
                }

                try
                {
                    await attacker.Socket.SendAsync(frame, type, endOfMessage: random.Next(10) != 0, TestTimeouts.Token());
                }
                catch (WebSocketException)
                {
                    break;
                }
            }
        }
    }

    private static async Task FloodPollingAsync(SocketIOTestServer server)
    {
        var random = new Random(5678);
        using var http = server.CreateHttpClient();
        for (var c = 0; c < Connections; c++)
        {
            using var attacker = server.Polling(protocol: random.Next(2) == 0 ? 3 : 4);
            await attacker.HandshakeAsync();
            var body = new byte[random.Next(1, 4096)];
            random.NextBytes(body);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new(random.Next(2) == 0 ? "application/octet-stream" : "text/plain");
            await attacker.PostAsync(content);

            // And requests whose query strings are noise.
            var noise = Convert.ToBase64String(body.AsSpan(0, Math.Min(body.Length, 64)));
            using var response = await http.GetAsync($"socket.io/?EIO={noise[..2]}&transport={Uri.EscapeDataString(noise)}&sid={Uri.EscapeDataString(noise)}", TestTimeouts.Token());
        }
    }
}

/// <summary>The tests above with WebSocket handshakes served on the connection, as the Signaling server runs.</summary>
public sealed class GarbageFloodTestsDirect() : GarbageFloodTests(SocketIOHosting.Direct);

/// <summary>The tests above with every request, WebSockets included, going through Kestrel's HTTP pipeline.</summary>
public sealed class GarbageFloodTestsOverHttpPipeline() : GarbageFloodTests(SocketIOHosting.HttpPipeline);
