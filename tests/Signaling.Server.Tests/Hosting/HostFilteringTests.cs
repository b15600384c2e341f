using System.Net.Sockets;
using System.Text;
using Signaling.Server.Tests.Cluster;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Hosting;

/// <summary>
/// <c>AllowedHosts</c> holds for WebSocket handshakes too, although the server answers those on the connection
/// rather than through the HTTP pipeline where the host filter runs (a real server process).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class HostFilteringTests
{
    [Fact]
    public async Task A_websocket_handshake_for_a_host_not_allowed_is_refused_and_an_allowed_one_is_served_on_the_connection()
    {
        await using var node = await ServerNode.StartAsync("hosts", new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["AllowedHosts"] = "127.0.0.1;calls.example.com",
        }, TimeSpan.FromSeconds(60));

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", await HandshakeAsync(node, "evil.test"));
        Assert.Equal(0, await DirectWebSocketsAsync(node));

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", await HandshakeAsync(node, "calls.example.com"));
        Assert.Equal(1, await DirectWebSocketsAsync(node));
    }

    private static async Task<string> HandshakeAsync(ServerNode node, string host)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(node.Address.Host, node.Address.Port, TestContext.Current.CancellationToken);
        var stream = tcp.GetStream();
        var request = $"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), TestContext.Current.CancellationToken);

        var head = new StringBuilder();
        var one = new byte[1];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestTimeouts.Default);
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one, timeout.Token);
            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    private static async Task<double> DirectWebSocketsAsync(ServerNode node)
        => MetricsEndpointTests.Value(await MetricsEndpointTests.ScrapeAsync(node), "signaling_socketio_engineio_websockets_direct");
}
