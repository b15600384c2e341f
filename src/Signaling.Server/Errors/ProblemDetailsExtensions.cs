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
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        return services;
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
