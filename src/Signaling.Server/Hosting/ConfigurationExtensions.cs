using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Where the server's configuration comes from.</summary>
public static class ConfigurationExtensions
{
    /// <summary>
    /// Loads the repository's root <c>appsettings.json</c> (copied next to the binary) as the lowest-priority source,
    /// so the server finds it whatever the working directory; content-root files, environment variables
    /// (<c>Section__Key</c>) and the command line still override it.
    /// </summary>
    public static WebApplicationBuilder AddSignalingConfiguration(this WebApplicationBuilder builder)
    {
        var sources = builder.Configuration.Sources;
        var provider = new PhysicalFileProvider(AppContext.BaseDirectory);
        sources.Insert(0, new JsonConfigurationSource { FileProvider = provider, Path = "appsettings.json", Optional = true, ReloadOnChange = false });
        sources.Insert(1, new JsonConfigurationSource { FileProvider = provider, Path = $"appsettings.{builder.Environment.EnvironmentName}.json", Optional = true, ReloadOnChange = false });
        return builder;
    }
}
