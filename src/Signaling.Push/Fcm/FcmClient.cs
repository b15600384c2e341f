using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Signaling.Push.Fcm;

/// <summary>One FCM HTTP v1 data message to an Android device (priority high).</summary>
internal sealed record FcmPush(string Token, IReadOnlyDictionary<string, string> Data, TimeSpan TimeToLive, string CollapseKey);

/// <summary>The FCM HTTP v1 client (a typed <see cref="HttpClient"/>): one attempt per call, plus one access-token refresh on 401.</summary>
internal sealed partial class FcmClient
{
    internal static readonly Uri DefaultOrigin = new("https://fcm.googleapis.com");

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HttpClient _http;
    private readonly FcmAccessTokenSource _tokens;
    private readonly FcmOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public FcmClient(HttpClient http, FcmAccessTokenSource tokens, IOptions<FcmOptions> options, TimeProvider time, ILogger<FcmClient> logger)
    {
        _http = http;
        _tokens = tokens;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>True when a service account is configured.</summary>
    public bool IsEnabled => _options.IsEnabled;

    /// <summary>Sends once; on 401 fetches a new access token and sends once more.</summary>
    public async Task<PushAttemptResult> SendAsync(FcmPush push, CancellationToken cancellationToken)
    {
        string accessToken;
        try
        {
            accessToken = await _tokens.GetAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Nothing went to FCM, so a retry cannot duplicate the push.
            Log.AccessTokenUnavailable(_logger, ex.GetType().Name, ex);
            return new PushAttemptResult(AttemptVerdict.Retry, null, "AccessTokenUnavailable");
        }

        var uri = new Uri(_options.Endpoint ?? DefaultOrigin, $"/v1/projects/{Uri.EscapeDataString(_tokens.ProjectId)}/messages:send");
        var body = Serialize(push);
        for (var refreshed = false; ; refreshed = true)
        {
            var result = await SendOnceAsync(uri, body, accessToken, push.Token, cancellationToken);
            if (!refreshed && result.StatusCode == (int)HttpStatusCode.Unauthorized)
            {
                try
                {
                    accessToken = await _tokens.RefreshAsync(accessToken, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    Log.AccessTokenUnavailable(_logger, ex.GetType().Name, ex);
                    return new PushAttemptResult(AttemptVerdict.Retry, null, "AccessTokenUnavailable");
                }

                continue;
            }

            return result;
        }
    }

    /// <summary>The request body: <c>{"message":{"token","data","android":{"priority","ttl","collapse_key"}}}</c>.</summary>
    internal static byte[] Serialize(FcmPush push)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("message");
            json.WriteString("token", push.Token);
            json.WriteStartObject("data");
            foreach (var (key, value) in push.Data)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteStartObject("android");
            json.WriteString("priority", "high");
            json.WriteString("ttl", FormatTtl(push.TimeToLive));
            json.WriteString("collapse_key", push.CollapseKey);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A protobuf Duration in whole seconds, e.g. <c>37s</c>; rounded up so a live ring never gets <c>0s</c>.</summary>
    internal static string FormatTtl(TimeSpan ttl)
    {
        var seconds = (long)Math.Ceiling(Math.Max(0, ttl.TotalSeconds));
        return seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + "s";
    }

    private async Task<PushAttemptResult> SendOnceAsync(Uri uri, byte[] body, string accessToken, string deviceToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = new ByteArrayContent(body) { Headers = { ContentType = JsonContentType } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var failure = PushAttemptResult.FromException(ex);
            Log.RequestFailed(_logger, uri.Authority, TokenHint.For(deviceToken), failure.Reason, ex);
            return failure;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return PushAttemptResult.Sent(status);
            }

            var (errorStatus, errorCode) = await ReadErrorAsync(response, cancellationToken);
            var reason = errorCode ?? errorStatus ?? $"HTTP{status}";
            Log.Rejected(_logger, status, reason, TokenHint.For(deviceToken));
            if (errorCode is "UNREGISTERED" or "SENDER_ID_MISMATCH" || response.StatusCode == HttpStatusCode.NotFound)
            {
                return new PushAttemptResult(AttemptVerdict.TokenDead, status, errorCode ?? "UNREGISTERED");
            }

            return PushAttemptResult.IsRetryableStatus(response.StatusCode)
                ? new PushAttemptResult(AttemptVerdict.Retry, status, reason, PushAttemptResult.ReadRetryAfter(response, _time))
                : new PushAttemptResult(AttemptVerdict.Failed, status, reason);
        }
    }

    /// <summary>Reads <c>error.status</c> and the FcmError <c>errorCode</c> from a Google API error body.</summary>
    private static async Task<(string? Status, string? ErrorCode)> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length == 0)
            {
                return (null, null);
            }

            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error)
                || error.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            string? status = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            string? code = null;
            if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var detail in details.EnumerateArray())
                {
                    if (detail.ValueKind == JsonValueKind.Object
                        && detail.TryGetProperty("errorCode", out var c)
                        && c.ValueKind == JsonValueKind.String)
                    {
                        code = c.GetString();
                        break;
                    }
                }
            }

            return (status, code);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
