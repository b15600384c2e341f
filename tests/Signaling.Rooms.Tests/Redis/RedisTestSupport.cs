using System.Collections.Concurrent;
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
