using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Signaling.Server.Auth;
using Signaling.Server.Endpoints;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Per-caller rate limit on the REST API (section <c>RateLimit</c>).</summary>
public static class RateLimitingExtensions
{
    /// <summary>The policy applied to <c>/v1</c>.</summary>
    public const string PolicyName = "api";

    /// <summary>
    /// A fixed window per caller (user id, else API key caller, else client address): <c>RateLimit:PermitLimit</c> requests
    /// (default 600) per <c>RateLimit:Window</c> (default 1 minute). Refusals are 429 problem details with code
    /// <c>rate_limited</c> and <c>Retry-After</c>.
    /// </summary>
    public static WebApplicationBuilder AddSignalingRateLimiting(this WebApplicationBuilder builder)
    {
        var permits = builder.Configuration.GetValue("RateLimit:PermitLimit", 600);
        var window = builder.Configuration.GetValue("RateLimit:Window", TimeSpan.FromMinutes(1));
        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(PolicyName, context =>
            {
                var key = context.User.GetUserId() is { } user ? "user:" + user
                    : context.User.IsBackend() ? "backend:" + context.Connection.RemoteIpAddress
                    : "ip:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0 });
            });
            options.OnRejected = async (context, cancellationToken) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await ProblemResults.Problem("rate_limited", $"More than {permits} requests in {window.TotalSeconds:0} s.").ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }
}
