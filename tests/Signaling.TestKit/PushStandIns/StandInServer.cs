using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Signaling.TestKit.PushStandIns;

/// <summary>Kestrel on 127.0.0.1, a free port, TLS with the test CA's server certificate.</summary>
public abstract class StandInServer : IAsyncDisposable
{
    /// <summary>The limit on starting and stopping a stand-in.</summary>
    public static readonly TimeSpan StartStopTimeout = TimeSpan.FromSeconds(15);

    private WebApplication? _app;

    /// <summary>The origin, e.g. https://127.0.0.1:40123.</summary>
    public Uri Origin { get; private set; } = null!;

    protected async Task StartAsync(HttpProtocols protocols)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = protocols;
                listen.UseHttps(StandInCertificates.Server);
            }));
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync().WaitAsync(StartStopTimeout);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Origin = new Uri(address);
    }

    protected abstract Task HandleAsync(HttpContext context);

    /// <summary>Waits out the reply's <see cref="Reply.Delay"/>; false when the client gave up meanwhile (nothing left to answer).</summary>
    protected static async Task<bool> DelayAsync(Reply reply, HttpContext context)
    {
        if (reply.Delay <= TimeSpan.Zero)
        {
            return true;
        }

        try
        {
            await Task.Delay(reply.Delay, context.RequestAborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(StartStopTimeout);
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>A canned answer a stand-in gives instead of its normal one.</summary>
public sealed record Reply(int Status, string? Reason = null, string? RetryAfter = null, TimeSpan Delay = default);
