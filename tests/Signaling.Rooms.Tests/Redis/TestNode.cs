using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Signaling.Rooms.Redis;
using Signaling.Rooms.Relay;
using Signaling.Rooms.Tests.TestSupport;
using Signaling.TestKit;
using StackExchange.Redis;

namespace Signaling.Rooms.Tests.Redis;

/// <summary>One server node as the host composes it (<c>AddRooms().UseRedis()</c> from configuration), with its own connection.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromMilliseconds(1500);
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    private readonly ServiceProvider _provider;
    private bool _stopped;

    private TestNode(ServiceProvider provider)
    {
        _provider = provider;
        Monitor = provider.GetServices<IHostedService>().OfType<RedisNodeMonitor>().Single();
    }

    public RedisNodeMonitor Monitor { get; }

    public string Id => Monitor.Node.Id;

    public RelayService Relay => _provider.GetRequiredService<RelayService>();

    public IRelayBus Bus => _provider.GetRequiredService<IRelayBus>();

    public RedisRelayBus RedisBus => _provider.GetRequiredService<RedisRelayBus>();

    public IRoomStore Rooms => _provider.GetRequiredService<IRoomStore>();

    public IConnectionMultiplexer Redis => _provider.GetRequiredService<IConnectionMultiplexer>();

    public ConcurrentQueue<NodeFailure> Failures { get; } = new();

    public static async Task<TestNode> StartAsync(RedisServerFixture redis, string prefix, string id)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:Configuration"] = redis.Configuration,
            ["Redis:KeyPrefix"] = prefix,
            ["Cluster:NodeTimeout"] = NodeTimeout.ToString(),
            ["Cluster:HeartbeatInterval"] = HeartbeatInterval.ToString(),
        }).Build());
        services.AddSingleton(new RedisNode(id));
        var handler = new RecordingHandler();
        services.AddSingleton<INodeFailureHandler>(handler);
        services.AddRooms().UseRedis();

        var node = new TestNode(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        handler.Node = node;
        await node.Monitor.StartAsync(TestContext.Current.CancellationToken).WithTimeout();
        await TestTimeouts.WaitUntilAsync(() => node.Monitor.Ticks > 0, $"{id}'s first heartbeat");
        return node;
    }

    /// <summary>Connects a peer to this node and joins it to <paramref name="rooms"/>.</summary>
    public async Task<RecordingPeer> ConnectAsync(string peerId, params string[] rooms)
    {
        var peer = new RecordingPeer(peerId);
        await Relay.ConnectAsync(peer).WithTimeout();
        foreach (var room in rooms)
        {
            var (_, error) = await Relay.JoinAsync(peerId, JsonSerializer.SerializeToElement(room)).WithTimeout();
            Assert.Null(error);
        }

        return peer;
    }

    /// <summary>Dies like <c>kill -9</c>: no goodbye, no disconnects, the connection to Redis just closes.</summary>
    public async Task CrashAsync()
    {
        _stopped = true;
        await Monitor.AbandonAsync().WithTimeout();
        await Redis.CloseAsync(allowCommandsToComplete: false).WithTimeout();
    }

    /// <summary>Stops cleanly (the monitor's goodbye) but leaves its peers registered.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await Monitor.StopAsync(CancellationToken.None).WithTimeout();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await Monitor.StopAsync(CancellationToken.None).WithTimeout();
        }

        await _provider.DisposeAsync();
    }

    private sealed class RecordingHandler : INodeFailureHandler
    {
        public TestNode? Node { get; set; }

        public Task OnNodeFailedAsync(NodeFailure failure, CancellationToken cancellationToken)
        {
            Node!.Failures.Enqueue(failure);
            return Task.CompletedTask;
        }
    }
}
