using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Signaling.Rooms.Redis;

/// <summary>Healthy while Redis answers PING; unhealthy otherwise (the multiplexer keeps reconnecting meanwhile).</summary>
public sealed class RedisRoomsHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!redis.IsConnected)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Not connected to Redis.");
        }

        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis answered PING in {latency.TotalMilliseconds:0.#} ms.");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis did not answer PING.", ex);
        }
    }
}
