using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Core;

namespace Signaling.Server.Tests.TestSupport;

/// <summary>
/// The real server (its Program) under test: any environment and settings; in memory (TestServer) or on Kestrel at 127.0.0.1 on a free port for socket clients.
/// </summary>
public class SignalingFactory : WebApplicationFactory<Program>
{
    private readonly string _environment;
    private readonly Dictionary<string, string?> _settings;
    private readonly bool _kestrel;
    private Uri? _address;

    public SignalingFactory(string environment, IReadOnlyDictionary<string, string?> settings, bool kestrel = false)
    {
        _environment = environment;
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            // Quiet by default; the log test raises the level itself.
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }

        _kestrel = kestrel;
        if (kestrel)
        {
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        }
    }

    /// <summary>
    /// Disposal errors. Two kinds are ignored unless this is true, so that they do not fail unrelated tests: the Engine.IO
    /// endpoints disposed twice (AddSocketIO registers EngineIOEndpoints as a singleton and again as a hosted service
    /// through a factory; HostLifetimeTests demonstrates it) and a race of the test host only: WebApplicationFactory
    /// stops the host while Program's app.Run() stops and disposes it too, so PushDispatcher.StopAsync can meet its
    /// disposed CancellationTokenSource. The second is ignored even when strict.
    /// </summary>
    public bool StrictDispose { get; init; }

    /// <summary>Everything the host logged (Serilog events and, if any reach it, Microsoft.Extensions.Logging ones).</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>The JWT settings and one API key.</summary>
    public static Dictionary<string, string?> Credentials(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Auth:Jwt:SigningKey"] = Tokens.SigningKey,
            ["Auth:Jwt:Issuer"] = Tokens.Issuer,
            ["Auth:Jwt:Audience"] = Tokens.Audience,
            ["Auth:ApiKeys:0"] = Tokens.ApiKey,
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>The Kestrel address (http://127.0.0.1:port); starts the server.</summary>
    public Uri Address
    {
        get
        {
            if (!_kestrel)
            {
                throw new InvalidOperationException("This factory uses TestServer; construct it with kestrel: true.");
            }

            if (_address is null)
            {
                StartServer();
                var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
                _address = new Uri(addresses.Single());
            }

            return _address;
        }
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous() => _kestrel ? new HttpClient { BaseAddress = Address } : CreateClient();

    /// <summary>A client with a user token for <paramref name="userId"/>.</summary>
    public HttpClient User(string userId) => WithBearer(Tokens.For(userId));

    /// <summary>A client sending <paramref name="token"/> as the bearer token.</summary>
    public HttpClient WithBearer(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A client with the API key (or another key).</summary>
    public HttpClient Backend(string apiKey = Tokens.ApiKey)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    /// <summary>Development style: a plain <c>X-User-Id</c> header.</summary>
    public HttpClient DevelopmentUser(string userId)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Add("X-User-Id", userId);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        catch (ObjectDisposedException e) when (!StrictDispose || e.StackTrace?.Contains("PushDispatcher.StopAsync", StringComparison.Ordinal) == true)
        {
        }

        GC.SuppressFinalize(this);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));

        // The host logs through Serilog, which reads extra sinks from the services (ReadFrom.Services).
        builder.ConfigureServices(services => services.AddSingleton<ILogEventSink>(Logs));
    }
}

/// <summary>The usual server: environment Testing, the JWT settings and an API key, in memory.</summary>
public sealed class TestingFactory() : SignalingFactory("Testing", Credentials());

/// <summary>The usual server on Kestrel at 127.0.0.1 (a free port), for socket clients.</summary>
public sealed class KestrelFactory() : SignalingFactory("Testing", Credentials(), kestrel: true);

/// <summary>Unique ids so that tests sharing a server do not see each other's invitations.</summary>
public static class Ids
{
    public static string User(string name) => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];
}
