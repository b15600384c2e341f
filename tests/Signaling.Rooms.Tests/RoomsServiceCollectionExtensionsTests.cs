using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Tests.TestSupport;

namespace Signaling.Rooms.Tests;

public sealed class RoomsServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(Action<IServiceCollection>? before = null, Dictionary<string, string?>? config = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(config ?? []).Build());
        before?.Invoke(services);
        services.AddRooms();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void AddRooms_registers_the_in_memory_invitation_services()
    {
        using var provider = Build();

        Assert.IsType<InMemoryInvitationStore>(provider.GetRequiredService<IInvitationStore>());
        Assert.Same(provider.GetRequiredService<InvitationService>(), provider.GetRequiredService<IInvitationService>());
        Assert.Same(NullInvitationEventSink.Instance, provider.GetRequiredService<IInvitationEventSink>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        Assert.Single(provider.GetServices<IHostedService>().OfType<InvitationTimeoutSweeper>());
    }

    [Fact]
    public void AddRooms_twice_registers_one_sweeper_and_one_validator()
    {
        var services = new ServiceCollection();
        services.AddRooms();
        services.AddRooms().Services.AddRooms();

        Assert.Single(services, d => d.ImplementationType == typeof(InvitationTimeoutSweeper));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<InvitationOptions>));
        Assert.Single(services, d => d.ServiceType == typeof(IInvitationStore));
    }

    [Fact]
    public void Earlier_registrations_win()
    {
        var time = new ManualTimeProvider();
        var sink = new RecordingEventSink(time);
        using var provider = Build(services => services.AddSingleton<TimeProvider>(time).AddSingleton<IInvitationEventSink>(sink));

        Assert.Same(time, provider.GetRequiredService<TimeProvider>());
        Assert.Same(sink, provider.GetRequiredService<IInvitationEventSink>());
    }

    [Fact]
    public void Options_have_the_documented_defaults_and_bind_from_the_Invitations_section()
    {
        var defaults = new InvitationOptions();
        Assert.Equal(
            (90, 600, 9, 2048, TimeSpan.FromHours(24), false, TimeSpan.FromHours(2), TimeSpan.FromMilliseconds(250), TimeSpan.FromHours(1)),
            (defaults.DefaultTimeout, defaults.MaxTimeout, defaults.MaxInvitees, defaults.MaxExtendedDataLength, defaults.IdempotencyKeyTtl,
                defaults.RefuseBusyInvitees, defaults.BusyWindow, defaults.SweepInterval, defaults.Retention));

        using var provider = Build(config: new()
        {
            ["Invitations:DefaultTimeout"] = "30",
            ["Invitations:MaxInvitees"] = "4",
            ["Invitations:RefuseBusyInvitees"] = "true",
            ["Invitations:IdempotencyKeyTtl"] = "01:00:00",
            ["Invitations:SweepInterval"] = "00:00:00.100",
        });
        var options = provider.GetRequiredService<IOptions<InvitationOptions>>().Value;
        Assert.Equal((30, 4, true, TimeSpan.FromHours(1), TimeSpan.FromMilliseconds(100)),
            (options.DefaultTimeout, options.MaxInvitees, options.RefuseBusyInvitees, options.IdempotencyKeyTtl, options.SweepInterval));
    }

    [Theory]
    [InlineData("DefaultTimeout", "0")]
    [InlineData("DefaultTimeout", "700")] // above MaxTimeout
    [InlineData("MaxTimeout", "0")]
    [InlineData("MaxInvitees", "0")]
    [InlineData("MaxExtendedDataLength", "-1")]
    [InlineData("IdempotencyKeyTtl", "00:00:00")]
    [InlineData("BusyWindow", "00:00:00")]
    [InlineData("SweepInterval", "00:00:02")]
    [InlineData("Retention", "00:00:00")]
    public async Task Invalid_options_fail_at_start(string key, string value)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"Invitations:{key}"] = value });
        builder.Services.AddRooms();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken)).WithTimeout();
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public async Task The_hosted_sweeper_times_out_invitations()
    {
        var time = new ManualTimeProvider();
        var sink = new RecordingEventSink(time);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(time).AddSingleton<IInvitationEventSink>(sink);
        builder.Services.AddRooms();
        using var host = builder.Build();
        var timers = time.TimerCount;
        await host.StartAsync(TestContext.Current.CancellationToken).WithTimeout();
        await TestTimeouts.WaitUntilAsync(() => time.TimerCount > timers, "the sweeper's timer");

        var service = host.Services.GetRequiredService<IInvitationService>();
        var sent = await service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["bob"], Timeout = 3 }).WithTimeout();
        Assert.True(sent.IsSuccess, sent.ToString());

        time.Advance(TimeSpan.FromSeconds(3.25));
        await sink.WaitUntilAsync(e => e.Any(x => x.Name == InvitationEventNames.OutgoingInvitationTimeout));
        await host.StopAsync(TestContext.Current.CancellationToken).WithTimeout();
    }
}
