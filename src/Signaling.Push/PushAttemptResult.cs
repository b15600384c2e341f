using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Signaling.Push;

/// <summary>How one HTTP attempt at APNs or FCM ended.</summary>
internal enum AttemptVerdict
{
    /// <summary>Accepted.</summary>
    Sent,

    /// <summary>The service called the token dead: remove it.</summary>
    TokenDead,

    /// <summary>Not accepted, and safe to send again (429, 5xx, no connection).</summary>
    Retry,

    /// <summary>The request may or may not have arrived (timeout, connection lost mid-request).</summary>
    Ambiguous,

    /// <summary>Refused for good.</summary>
    Failed,
}

/// <summary>The result of one HTTP attempt.</summary>
internal readonly record struct PushAttemptResult(AttemptVerdict Verdict, int? StatusCode, string? Reason, TimeSpan? RetryAfter = null)
{
    public static PushAttemptResult Sent(int statusCode) => new(AttemptVerdict.Sent, statusCode, null);

    /// <summary>Classifies a transport exception thrown by <see cref="HttpClient.SendAsync(HttpRequestMessage, CancellationToken)"/>.</summary>
    public static PushAttemptResult FromException(Exception exception) => exception switch
    {
        // Nothing reached the service: a retry cannot duplicate the push.
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError } e
            => new(AttemptVerdict.Retry, null, $"Network:{e.HttpRequestError}"),
        HttpRequestException e => new(AttemptVerdict.Ambiguous, null, $"Network:{e.HttpRequestError}"),
        TaskCanceledException { InnerException: TimeoutException } => new(AttemptVerdict.Ambiguous, null, "Timeout"),
        _ => new(AttemptVerdict.Failed, null, exception.GetType().Name),
    };

    /// <summary>The <c>Retry-After</c> of a response (seconds or a date), if any.</summary>
    public static TimeSpan? ReadRetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    public static bool IsRetryableStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
}

/// <summary>Turns a secret into something loggable: the first 8 hex digits of its SHA-256.</summary>
internal static class TokenHint
{
    public static string For(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return "-";
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), hash);
        return Convert.ToHexStringLower(hash[..4]);
    }
}
