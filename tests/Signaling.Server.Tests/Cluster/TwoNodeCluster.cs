using System.Diagnostics;
using Signaling.Server.Tests.TestSupport;
using Signaling.TestKit;

namespace Signaling.Server.Tests.Cluster;

/// <summary>The cluster classes run one after another: each starts its own Redis and two server processes.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}

/// <summary>
/// A private <c>redis-server</c> and two server processes (Development, no credentials) sharing it under one key
/// prefix, with <c>Cluster:NodeTimeout</c> at 3 s. One per test class; killed on dispose.
/// </summary>
public class TwoNodeCluster : IAsyncLifetime
{
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(3);

    // Two processes JIT-compiling on two shared cores, while other suites run.
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(60);

    private ServerNode? _a;
    private ServerNode? _b;

    public TwoNodeCluster()
        : this(durable: false)
    {
    }

    protected TwoNodeCluster(bool durable)
    {
        Redis = durable ? RedisServerFixture.Durable() : new RedisServerFixture();
    }

    public RedisServerFixture Redis { get; }

    public string KeyPrefix { get; } = $"cluster-test:{Guid.NewGuid():N}:";

    public ServerNode A => _a ?? throw new InvalidOperationException("The cluster is not started.");

    public ServerNode B => _b ?? throw new InvalidOperationException("The cluster is not started.");

    /// <summary>Everything the nodes and Redis wrote, for failure messages.</summary>
    public string Output => string.Join('\n', _a?.Output, _b?.Output, "----- redis-server -----", Redis.Output);

    public async ValueTask InitializeAsync()
    {
        await Redis.InitializeAsync();
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Redis__Configuration"] = Redis.Configuration,
            ["Redis__KeyPrefix"] = KeyPrefix,
            ["Cluster__NodeTimeout"] = NodeTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        };
        var started = Stopwatch.StartNew();
        var a = ServerNode.StartAsync("node-a", settings, ReadyWithin);
        var b = ServerNode.StartAsync("node-b", settings, ReadyWithin);
        try
        {
            await Task.WhenAll(a, b);
        }
        catch
        {
            foreach (var node in new[] { a, b }.Where(t => t.IsCompletedSuccessfully))
            {
                await node.Result.DisposeAsync();
            }

            throw;
        }

        (_a, _b) = (a.Result, b.Result);
        TestContext.Current.SendDiagnosticMessage($"Two nodes ready in {started.Elapsed.TotalSeconds:0.0} s: {A.Address} and {B.Address}.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }

        if (_b is not null)
        {
            await _b.DisposeAsync();
        }

        await Redis.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A socket.io-client 4 over WebSocket, Development style (<c>auth: {userId, deviceId}</c>).</summary>
    public static Task<NodeSocketClient> ConnectAsync(ServerNode node, string? userId = null, string? deviceId = null)
        => ConnectAsync(node, new SocketClientOptions { Package = "sio4", UserId = userId, DeviceId = deviceId });

    public static Task<NodeSocketClient> ConnectAsync(ServerNode node, SocketClientOptions options)
        => NodeSocketClient.ConnectAsync(node.Address, options);
}

/// <summary>The same, with a Redis whose every write is fsynced to an append-only file, so it can be killed and restarted.</summary>
public sealed class DurableTwoNodeCluster() : TwoNodeCluster(durable: true);

/// <summary>The base of the cluster test classes: on failure, the nodes' and Redis' output go to the test output.</summary>
public abstract class ClusterTests(TwoNodeCluster cluster) : IAsyncLifetime
{
    protected TwoNodeCluster Cluster { get; } = cluster;

    protected ServerNode A => Cluster.A;

    protected ServerNode B => Cluster.B;

    protected static void Log(string message) => TestContext.Current.TestOutputHelper?.WriteLine(message);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        if (TestContext.Current.TestState?.Result is not TestResult.Passed)
        {
            Log(Cluster.Output);
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; returns how long it took. Bounded by <paramref name="limit"/>.</summary>
    protected static async Task<TimeSpan> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(limit);
        try
        {
            while (!await condition().WaitAsync(cts.Token))
            {
                await Task.Delay(50, cts.Token);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.");
        }

        return clock.Elapsed;
    }
}
