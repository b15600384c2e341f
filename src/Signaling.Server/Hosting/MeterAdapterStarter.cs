using Prometheus;

namespace Signaling.Server.Hosting;

/// <summary>
/// Starts prometheus-net's adapter for System.Diagnostics.Metrics before the server takes connections. By itself it
/// starts on the first scrape, and measurements made before that are lost: an up-down counter such as the open
/// connections would read low, or below zero once those connections close. Its series are also kept for a day without
/// change (the adapter's longest) rather than minutes; our label sets are small and fixed. (The open-connection
/// gauges are observed values, exact either way.)
/// </summary>
internal sealed class MeterAdapterStarter : IHostedService
{
    private static int _configured;

    /// <summary>Applies the adapter's options; only the first call in a process counts (the adapter is process-wide).</summary>
    public static void Configure()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 0)
        {
            // The runtime's figures come through its System.Runtime meter; EventCounter listeners would switch on
            // per-operation bookkeeping in the runtime and networking event sources for the same information.
            Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true });
            Metrics.ConfigureMeterAdapter(options =>
            {
                options.MetricsExpireAfter = TimeSpan.FromDays(1);

                // Kestrel's memory pool counts every buffer rented and returned: through the adapter that is a series
                // lookup under a lock for each socket read and write.
                options.InstrumentFilterPredicate = instrument => instrument.Meter.Name != "Microsoft.AspNetCore.MemoryPool";
            });
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
        => Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
