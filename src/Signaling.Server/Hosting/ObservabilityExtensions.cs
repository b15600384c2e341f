using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using Serilog;
using Serilog.Events;
using Serilog.Filters;
using Serilog.Formatting.Compact;
using Signaling.Server.Hosting;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Logging, health and metrics.</summary>
public static class ObservabilityExtensions
{
    /// <summary>
    /// Serilog to the console (text, or compact JSON with <c>Logging:Json=true</c>), configured from the <c>Serilog</c>
    /// section; health checks.
    /// </summary>
    public static WebApplicationBuilder AddSignalingObservability(this WebApplicationBuilder builder)
    {
        var json = builder.Configuration.GetValue<bool>("Logging:Json");
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .Enrich.FromLogContext()

                // Its "Request starting" lines carry query strings, where socket clients put tokens; our request log has paths only.
                .Filter.ByExcluding(Matching.FromSource("Microsoft.AspNetCore.Hosting.Diagnostics"));
            if (json)
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
            else
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}");
            }
        });
        builder.Services.AddHealthChecks()
            .AddCheck<AcceptingConnectionsHealthCheck>("accepting", tags: ["ready"]);

        // Metrics count from the start, not from the first scrape of /metrics.
        MeterAdapterStarter.Configure();
        builder.Services.AddHostedService<MeterAdapterStarter>();
        return builder;
    }

    /// <summary>One log line per HTTP request; Engine.IO polls go to Debug so they do not flood the log. Query strings (tokens) are never logged.</summary>
    public static WebApplication UseSignalingRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            // This host's logger, not the static Log.Logger (which belongs to whichever host was built last).
            options.Logger = app.Services.GetService<Serilog.ILogger>();
            options.GetLevel = (context, _, exception) =>
                exception is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
                : context.Request.Path.StartsWithSegments("/socket.io") || context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics")
                    ? LogEventLevel.Debug
                    : LogEventLevel.Information;
        });
        return app;
    }

    /// <summary><c>/health/live</c> (the process answers) and <c>/health/ready</c> (every readiness check passes).</summary>
    public static WebApplication MapSignalingHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }

    /// <summary>Prometheus text format at <c>/metrics</c>, including every System.Diagnostics.Metrics meter.</summary>
    public static WebApplication MapSignalingMetrics(this WebApplication app)
    {
        app.MapMetrics("/metrics");
        return app;
    }
}
