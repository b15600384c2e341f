using Signaling.TestKit;
using StackExchange.Redis;

namespace Signaling.Push.Tests.Redis;

/// <summary>A private redis-server for this assembly's Redis tests, and one shared connection to it.</summary>
public sealed class PushRedisFixture : RedisServerFixture
{
    private ConnectionMultiplexer? _connection;

    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>Keys of one test never meet another's: every test runs under its own prefix.</summary>
    public static string NewPrefix() => $"test:{Guid.NewGuid():N}:";

    /// <summary>Another connection, as a second node would have; the caller disposes it.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(Configuration);

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _connection = await ConnectAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PushRedisCollection : ICollectionFixture<PushRedisFixture>
{
    public const string Name = "Push on Redis";
}
