using System.Net;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Hosting;

/// <summary>The host starts, serves and stops cleanly.</summary>
public sealed class HostLifetimeTests
{
    /// <summary>
    /// Failed at commit 413bec9: AddSocketIO registers EngineIOEndpoints as a singleton and again as a hosted service through a
    /// factory, so the container disposes it twice and the second EngineIOServer.DisposeAsync calls CancelAsync on its
    /// disposed CancellationTokenSource (ObjectDisposedException on every shutdown).
    /// </summary>
    [Fact]
    public async Task Stopping_the_server_does_not_throw()
    {
        var factory = new SignalingFactory("Testing", SignalingFactory.Credentials()) { StrictDispose = true };
        using (var client = factory.Anonymous())
        {
            await (await client.Get("/health/ready")).Expect(HttpStatusCode.OK);
        }

        await factory.DisposeAsync().AsTask().WithTimeout();
    }

    [Fact]
    public async Task Health_and_metrics_answer_without_credentials()
    {
        await using var factory = new SignalingFactory("Testing", SignalingFactory.Credentials());
        using var client = factory.Anonymous();

        await (await client.Get("/health/live")).Expect(HttpStatusCode.OK);
        await (await client.Get("/health/ready")).Expect(HttpStatusCode.OK);
        await (await client.Get("/metrics")).Expect(HttpStatusCode.OK);
    }
}
