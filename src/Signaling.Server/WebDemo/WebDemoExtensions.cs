namespace Microsoft.AspNetCore.Builder;

/// <summary>The web call page (placeholder until the demo lands).</summary>
public static class WebDemoExtensions
{
    /// <summary>Registers the web demo.</summary>
    public static IServiceCollection AddSignalingWebDemo(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment) => services;

    /// <summary>Serves the web demo.</summary>
    public static WebApplication UseSignalingWebDemo(this WebApplication app) => app;
}
