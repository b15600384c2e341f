using System.Collections.Concurrent;
using Signaling.Rooms.Relay;
using Signaling.Rooms.Tests.TestSupport;
using Signaling.TestKit;
using StackExchange.Redis;

[assembly: AssemblyFixture(typeof(RedisServerFixture))]

namespace Signaling.Rooms.Tests.Redis;

/// <summary>One multiplexer per server for the tests that do not need their own, and a fresh key prefix per test.</summary>
internal static class RedisTestConnections
{
    private static readonly ConcurrentDictionary<string, Lazy<ConnectionMultiplexer>> Shared = new();

    public static ConnectionMultiplexer SharedFor(RedisServerFixture redis) =>
        Shared.GetOrAdd(redis.Configuration, static c => new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(c))).Value;

    public static Task<ConnectionMultiplexer> ConnectAsync(RedisServerFixture redis) => ConnectionMultiplexer.ConnectAsync(redis.Configuration);

    /// <summary>Keys of one test never meet another's: every test runs under its own prefix.</summary>
    public static string NewPrefix() => $"test:{Guid.NewGuid():N}:";
}

/// <summary>A connection that records what it is sent.</summary>
internal sealed class RecordingPeer(string id) : IRelayPeer
{
    private readonly ConcurrentQueue<RelayMessage> _received = new();

    public string Id { get; } = id;

    public bool Closed { get; set; }

    public IReadOnlyList<RelayMessage> Received => [.. _received];

    public IReadOnlyList<string> Texts(string eventName) =>
        Received.Where(m => m.Event == eventName).Select(m => System.Text.Encoding.UTF8.GetString(m.Argument.Span)).ToList();

    public bool Deliver(in RelayMessage message)
    {
        if (Closed)
        {
            return false;
        }

        _received.Enqueue(message);
        return true;
    }

    public Task WaitForAsync(Func<IReadOnlyList<RelayMessage>, bool> condition, string what) =>
        TestTimeouts.WaitUntilAsync(() => condition(Received), $"{Id}: {what}");
}
