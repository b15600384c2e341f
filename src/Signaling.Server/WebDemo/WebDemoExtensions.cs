using Microsoft.Extensions.Options;
using Signaling.Server.WebDemo;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The web call page: plain HTML, CSS and JavaScript from <c>wwwroot</c>, with the socket.io client that
/// <c>npm ci</c> in <c>src/Signaling.Server/WebDemo</c> copies to <c>wwwroot/lib</c>.
/// </summary>
public static class WebDemoExtensions
{
    /// <summary>Binds <see cref="WebDemoOptions"/> (section <c>WebDemo</c>); on by default in Development only.</summary>
    public static IServiceCollection AddSignalingWebDemo(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var enabledByDefault = environment.IsDevelopment();
        services.AddOptions<WebDemoOptions>()
            .Configure(options => options.Enabled = enabledByDefault)
            .Bind(configuration.GetSection(WebDemoOptions.SectionName))
            .ValidateOnStart();
        return services;
    }

    /// <summary>When enabled, serves <c>index.html</c> at <c>/</c> and the page's files, never cached.</summary>
    public static WebApplication UseSignalingWebDemo(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<WebDemoOptions>>().Value.Enabled)
        {
            return app;
        }

        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // The page is edited while the server runs; a stale app.js beside a new index.html helps nobody.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
        return app;
    }
}
