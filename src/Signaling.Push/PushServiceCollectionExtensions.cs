using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Signaling.Push;
using Signaling.Push.Apns;
using Signaling.Push.Devices;
using Signaling.Push.Dispatch;
using Signaling.Push.Fcm;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddPush()</c>, for extensions that swap stores (e.g. a Redis device store).</summary>
public interface IPushBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }
}

/// <summary>Registers push delivery.</summary>
public static class PushServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IPushDispatcher"/>, in-memory <see cref="IDeviceStore"/> and <see cref="IPushLedger"/> (unless
    /// already registered), the APNs and FCM clients, and options bound from <c>Push</c>, <c>Push:Apns</c> and
    /// <c>Push:Fcm</c>, validated at start.
    /// </summary>
    public static IPushBuilder AddPush(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new PushBuilder(services);
        if (services.Any(d => d.ServiceType == typeof(PushDispatcher)))
        {
            return builder;
        }

        services.AddOptions<PushOptions>().BindConfiguration(PushOptions.SectionName).ValidateOnStart();
        services.AddOptions<ApnsOptions>().BindConfiguration(ApnsOptions.SectionName).ValidateOnStart();
        services.AddOptions<FcmOptions>().BindConfiguration(FcmOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushOptions>, PushOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApnsOptions>, ApnsOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FcmOptions>, FcmOptionsValidator>());

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDeviceStore, InMemoryDeviceStore>();
        services.TryAddSingleton<IPushLedger, InMemoryPushLedger>();
        services.TryAddSingleton<PushMetrics>();
        services.TryAddSingleton<ApnsTokenProvider>();
        services.TryAddSingleton<FcmAccessTokenSource>();

        // The typed clients live inside the singleton dispatcher, so handler rotation is off and SocketsHttpHandler
        // recycles connections itself (PooledConnectionLifetime picks up DNS changes). Certificates are validated
        // against the machine store. The factory's request loggers are removed: APNs URLs carry device tokens.
        services.AddHttpClient<ApnsClient>(PushHttpClientNames.Apns, (sp, http) =>
                http.Timeout = sp.GetRequiredService<IOptions<ApnsOptions>>().Value.RequestTimeout)
            .UseSocketsHttpHandler((handler, _) =>
            {
                handler.EnableMultipleHttp2Connections = true;
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(30);
                handler.KeepAlivePingDelay = TimeSpan.FromMinutes(1);
                handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.AddHttpClient<FcmClient>(PushHttpClientNames.Fcm, (sp, http) =>
                http.Timeout = sp.GetRequiredService<IOptions<FcmOptions>>().Value.RequestTimeout)
            .UseSocketsHttpHandler((handler, _) =>
            {
                handler.EnableMultipleHttp2Connections = true;
                handler.PooledConnectionLifetime = TimeSpan.FromMinutes(30);
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.AddHttpClient(PushHttpClientNames.FcmOAuth)
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(30))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();

        services.TryAddSingleton<PushDispatcher>();
        services.TryAddSingleton<IPushDispatcher>(sp => sp.GetRequiredService<PushDispatcher>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PushDispatcherService>());
        return builder;
    }

    private sealed class PushBuilder(IServiceCollection services) : IPushBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
