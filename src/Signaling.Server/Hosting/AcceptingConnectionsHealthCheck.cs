using Microsoft.Extensions.Diagnostics.HealthChecks;
using Signaling.SocketIO;

namespace Signaling.Server.Hosting;

/// <summary>Unhealthy once shutdown began, so a load balancer stops sending new clients.</summary>
internal sealed class AcceptingConnectionsHealthCheck(EngineIOEndpoints endpoints) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(endpoints.Servers.All(s => s.IsAccepting)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("shutting down"));
}
