using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Redis;
using Signaling.Rooms.Relay;
using Signaling.Rooms.Tests.TestSupport;
using Signaling.TestKit;
using StackExchange.Redis;

namespace Signaling.Rooms.Tests.Redis;

public sealed class RoomsRedisBuilderExtensionsTests(RedisServerFixture redis)
{
    private static ServiceCollection Services(Dictionary<string, string?> config)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        return services;
    }

    private Dictionary<string, string?> Config => new() { ["Redis:Configuration"] = redis.Configuration };

    [Fact]
    public async Task UseRedis_replaces_the_in_memory_stores_and_bus_in_either_order_with_AddRelay()
    {
        var before = Services(Config);
        before.AddRelay();
        before.AddRooms().UseRedis();

        var after = Services(Config);
        after.AddRooms().UseRedis();
        after.AddRelay();
        after.AddRooms();

        foreach (var services in new[] { before, after })
        {
            await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
            Assert.IsType<RedisRoomStore>(provider.GetRequiredService<IRoomStore>());
            Assert.Same(provider.GetRequiredService<RedisRelayBus>(), provider.GetRequiredService<IRelayBus>());
            Assert.IsType<RedisInvitationStore>(provider.GetRequiredService<IInvitationStore>());
            Assert.Single(provider.GetServices<IHostedService>().OfType<RedisNodeMonitor>());
            Assert.Single(services, d => d.ServiceType == typeof(IRoomStore));
            Assert.Single(services, d => d.ServiceType == typeof(IRelayBus));
            Assert.Single(services, d => d.ServiceType == typeof(IInvitationStore));
            Assert.Same(provider.GetRequiredService<IConnectionMultiplexer>(), provider.GetRequiredService<IConnectionMultiplexer>());
        }
    }

    [Fact]
    public void UseRedis_twice_registers_one_monitor_and_one_validator()
    {
        var services = Services(Config);
        services.AddRooms().UseRedis().UseRedis();

        Assert.Single(services, d => d.ImplementationType == typeof(RedisNodeMonitor));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<RoomsRedisOptions>));
    }

    [Fact]
    public async Task The_multiplexer_connects_lazily_reconnects_by_itself_and_names_the_node()
    {
        var services = Services(Config);
        services.AddSingleton(new RedisNode("named-node"));
        services.AddRooms().UseRedis();
        await using var provider = services.BuildServiceProvider();

        var multiplexer = provider.GetRequiredService<IConnectionMultiplexer>();
        Assert.False(ConfigurationOptions.Parse(multiplexer.Configuration).AbortOnConnectFail);
        Assert.Equal("named-node", multiplexer.ClientName);
        await multiplexer.GetDatabase().PingAsync().WithTimeout();
    }

    [Fact]
    public void Options_bind_from_the_Redis_and_Cluster_sections_with_documented_defaults()
    {
        var defaults = new RoomsRedisOptions();
        Assert.Equal((null, "signaling:", TimeSpan.FromSeconds(10), (TimeSpan?)null, TimeSpan.FromSeconds(10) / 3),
            (defaults.Configuration, defaults.KeyPrefix, defaults.NodeTimeout, defaults.HeartbeatInterval, defaults.EffectiveHeartbeatInterval));

        var services = Services(new()
        {
            ["Redis:Configuration"] = "redis:6379,password=secret",
            ["Redis:KeyPrefix"] = "{app}:",
            ["Cluster:NodeTimeout"] = "00:00:30",
            ["Cluster:HeartbeatInterval"] = "00:00:05",
        });
        services.AddRooms().UseRedis();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RoomsRedisOptions>>().Value;
        Assert.Equal(("redis:6379,password=secret", "{app}:", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)),
            (options.Configuration, options.KeyPrefix, options.NodeTimeout, options.EffectiveHeartbeatInterval));
    }

    [Theory]
    [InlineData(null, null, null, "Redis:Configuration")]
    [InlineData("localhost", "", null, "KeyPrefix")]
    [InlineData("localhost", null, "00:00:00.100", "NodeTimeout")]
    [InlineData("localhost", null, "00:30:00", "NodeTimeout")]
    public void Invalid_options_fail_at_start(string? configuration, string? prefix, string? nodeTimeout, string expected)
    {
        var services = Services(new()
        {
            ["Redis:Configuration"] = configuration,
            ["Redis:KeyPrefix"] = prefix,
            ["Cluster:NodeTimeout"] = nodeTimeout,
        });
        services.AddRooms().UseRedis();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RoomsRedisOptions>>().Value);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_heartbeat_interval_must_be_shorter_than_the_node_timeout()
    {
        var services = Services(new() { ["Redis:Configuration"] = "localhost", ["Cluster:HeartbeatInterval"] = "00:00:10" });
        services.AddRooms().UseRedis();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RoomsRedisOptions>>().Value);
        Assert.Contains("HeartbeatInterval", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_health_check_is_healthy_while_Redis_answers_and_unhealthy_when_it_is_down()
    {
        var registration = new HealthCheckRegistration("redis", _ => null!, HealthStatus.Unhealthy, null);
        var healthy = await new RedisRoomsHealthCheck(RedisTestConnections.SharedFor(redis))
            .CheckHealthAsync(new HealthCheckContext { Registration = registration }, TestContext.Current.CancellationToken).WithTimeout();
        Assert.Equal(HealthStatus.Healthy, healthy.Status);

        await using var down = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:1,abortConnect=false,connectTimeout=200").WithTimeout();
        var unhealthy = await new RedisRoomsHealthCheck(down)
            .CheckHealthAsync(new HealthCheckContext { Registration = registration }, TestContext.Current.CancellationToken).WithTimeout();
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
    }
}
