using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Signaling.Push.Devices;
using Signaling.Push.Redis;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Redis;

[Collection(PushRedisCollection.Name)]
public sealed class PushRedisBuilderExtensionsTests(PushRedisFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ServiceCollection Services(Dictionary<string, string?> config)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        services.AddLogging();
        return services;
    }

    [Fact]
    public async Task UsePushRedis_replaces_both_in_memory_stores_and_uses_the_configured_prefix()
    {
        var prefix = PushRedisFixture.NewPrefix();
        var services = Services(new() { ["Redis:KeyPrefix"] = prefix });
        services.AddSingleton(redis.Connection);
        services.AddPush().UsePushRedis();
        services.AddPush();

        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.Single(services, d => d.ServiceType == typeof(IDeviceStore));
        Assert.Single(services, d => d.ServiceType == typeof(IPushLedger));
        var store = Assert.IsType<RedisDeviceStore>(provider.GetRequiredService<IDeviceStore>());
        Assert.IsType<RedisPushLedger>(provider.GetRequiredService<IPushLedger>());

        await store.UpsertAsync(new PushDevice("u1", "d1", DevicePlatform.Android, FcmToken: "t"), Ct).Bounded();
        Assert.True(await redis.Connection.GetDatabase().KeyExistsAsync(prefix + "devices:u1").Bounded());
    }

    [Fact]
    public async Task The_prefix_defaults_to_signaling()
    {
        var services = Services([]);
        services.AddSingleton(redis.Connection);
        services.AddPush().UsePushRedis();

        await using var provider = services.BuildServiceProvider();

        Assert.Equal("signaling:", provider.GetRequiredService<IOptions<PushRedisOptions>>().Value.KeyPrefix);
    }

    [Fact]
    public async Task An_empty_prefix_fails_at_start()
    {
        var services = Services(new() { ["Redis:KeyPrefix"] = "" });
        services.AddSingleton(redis.Connection);
        services.AddPush().UsePushRedis();

        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(nameof(PushRedisOptions.KeyPrefix), error.Message);
    }

    [Fact]
    public async Task Without_a_multiplexer_the_error_names_the_call_that_registers_one()
    {
        var services = Services([]);
        services.AddPush().UsePushRedis();

        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IDeviceStore>());
        Assert.Contains("AddRooms().UseRedis()", error.Message);
    }
}
