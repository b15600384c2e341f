using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Signaling.Server.Endpoints;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Every error of the REST API is an RFC 9457 problem with a stable <c>code</c>.</summary>
public static class ProblemDetailsExtensions
{
    /// <summary>Problem details for all errors, including empty 401/403/404 answers and unreadable request bodies.</summary>
    public static IServiceCollection AddSignalingProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            if (!problem.Extensions.ContainsKey("code"))
            {
                problem.Extensions["code"] = problem.Status switch
                {
                    400 or 415 => "invalid_parameter",
                    401 => "unauthenticated",
                    403 => "forbidden",
                    404 => "not_found",
                    405 => "method_not_allowed",
                    429 => "rate_limited",
                    503 => "unavailable",
                    _ => "internal_error",
                };
            }

            if (problem.Status == 401 && problem.Detail is null)
            {
                problem.Detail = "A valid user token (Authorization: Bearer) or API key (X-Api-Key) is required.";
            }
        });
        // Unreadable bodies throw (in every environment) so the handler below can say precisely what was wrong.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<StateStoreUnavailableHandler>();
        return services;
    }

    /// <summary>Exception handling: problem details, and no error log for the expected kinds (bad requests, store outages).</summary>
    public static WebApplication UseSignalingExceptionHandler(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
        });
        return app;
    }

    /// <summary>
    /// Redis unreachable or timing out: 503 with <c>Retry-After</c>. The request may not have been applied; retried sends
    /// are safe with an <c>Idempotency-Key</c>, and every transition is atomic, so nothing is applied twice.
    /// </summary>
    private sealed class StateStoreUnavailableHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not (StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException))
            {
                return false;
            }

            httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            httpContext.Response.Headers.RetryAfter = "2";
            await ProblemResults.Problem("unavailable", "The state store is unavailable; retry shortly.").ExecuteAsync(httpContext);
            return true;
        }
    }

    /// <summary>Turns unreadable bodies (malformed JSON, wrong types) into 400 <c>invalid_parameter</c>.</summary>
    private sealed class BadRequestExceptionHandler : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not BadHttpRequestException bad)
            {
                return false;
            }

            var message = bad.InnerException is System.Text.Json.JsonException json
                ? $"The request body is not valid JSON for this endpoint: {json.Message}"
                : bad.Message;
            httpContext.Response.StatusCode = bad.StatusCode;
            await ProblemResults.Problem("invalid_parameter", message).ExecuteAsync(httpContext);
            return true;
        }
    }
}
