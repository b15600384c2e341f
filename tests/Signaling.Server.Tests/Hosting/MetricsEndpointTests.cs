using System.Globalization;
using Signaling.Server.Tests.Cluster;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Hosting;

/// <summary>
/// /metrics of a real server process (the exporter is process-wide, so other tests' servers must not add to it), with
/// socket.io-client 4 traffic made before anyone scraped.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MetricsEndpointTests
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["DOTNET_ENVIRONMENT"] = "Development",
    };

    [Fact]
    public async Task Metrics_count_from_the_start_and_the_open_connections_follow_connects_and_disconnects()
    {
        await using var node = await ServerNode.StartAsync("metrics", Settings, TimeSpan.FromSeconds(60));
        await using var alice = await TwoNodeCluster.ConnectAsync(node);
        await using var bob = await TwoNodeCluster.ConnectAsync(node);
        await alice.EmitWithAckAsync("join", "metrics-room");
        await bob.EmitWithAckAsync("join", "metrics-room");
        await alice.EmitWithAckAsync("exchange", new { to = bob.Id, candidate = "c" });
        await bob.NextEventAsync("exchange");

        var first = await ScrapeAsync(node);

        Assert.Equal(2, Value(first, "signaling_socketio_engineio_connections_active", """protocol="4",transport="websocket" """));
        Assert.Equal(2, Value(first, "signaling_socketio_engineio_connections_opened", """protocol="4",transport="websocket" """));
        Assert.Equal(1, Value(first, "signaling_relay_messages", """event="exchange" """));
        Assert.True(Value(first, "signaling_socketio_engineio_packets_received") >= 5, first); // two CONNECTs, two joins, one exchange
        Assert.True(Value(first, "signaling_socketio_engineio_packets_sent") >= 8, first); // two opens, two CONNECTs, three acks, one exchange
        Assert.True(Value(first, "signaling_socketio_engineio_websockets_direct") >= 2, first);

        await alice.DisconnectAsync();
        await bob.NextEventAsync("leave");
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        string after;
        do
        {
            after = await ScrapeAsync(node);
        }
        while (Value(after, "signaling_socketio_engineio_connections_active", """protocol="4",transport="websocket" """) != 1 && DateTime.UtcNow < deadline);

        Assert.Equal(1, Value(after, "signaling_socketio_engineio_connections_active", """protocol="4",transport="websocket" """));
    }

    internal static async Task<string> ScrapeAsync(ServerNode node)
    {
        using var http = new HttpClient { BaseAddress = node.Address, Timeout = TestTimeouts.Default };
        return await http.GetStringAsync("metrics", TestContext.Current.CancellationToken);
    }

    /// <summary>The sample's value, 0 when the series is absent; <paramref name="labels"/> as written in the exposition.</summary>
    internal static double Value(string exposition, string name, string? labels = null)
    {
        var series = labels is null ? name : $"{name}{{{labels.Trim()}}}";
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
