using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Signaling.Push.Apns;

/// <summary>One APNs request: where, with which headers, carrying which payload.</summary>
internal sealed record ApnsPush(
    string DeviceToken,
    string Topic,
    string PushType,
    int Priority,
    DateTimeOffset Expiration,
    string CollapseId,
    byte[] Payload,
    bool? Sandbox);

/// <summary>The APNs HTTP/2 client (a typed <see cref="HttpClient"/>): one attempt per call, plus one provider-token renewal.</summary>
internal sealed partial class ApnsClient
{
    internal static readonly Uri ProductionOrigin = new("https://api.push.apple.com");
    internal static readonly Uri SandboxOrigin = new("https://api.sandbox.push.apple.com");

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private readonly HttpClient _http;
    private readonly ApnsTokenProvider _tokens;
    private readonly ApnsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ApnsClient(HttpClient http, ApnsTokenProvider tokens, IOptions<ApnsOptions> options, TimeProvider time, ILogger<ApnsClient> logger)
    {
        _http = http;
        _tokens = tokens;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>True when credentials are configured.</summary>
    public bool IsEnabled => _options.IsEnabled;

    /// <summary>The default topic base (<c>Push:Apns:BundleId</c>).</summary>
    public string? DefaultBundleId => _options.BundleId;

    /// <summary>The origin a push goes to: <c>Push:Apns:Endpoint</c>, else the device's or the configured environment.</summary>
    internal static Uri ResolveOrigin(ApnsOptions options, bool? deviceSandbox)
    {
        if (options.Endpoint is { } endpoint)
        {
            return endpoint;
        }

        var sandbox = deviceSandbox ?? options.Environment == ApnsEnvironment.Sandbox;
        return sandbox ? SandboxOrigin : ProductionOrigin;
    }

    /// <summary>Sends once; on <c>403 ExpiredProviderToken</c> renews the shared token and sends once more.</summary>
    public async Task<PushAttemptResult> SendAsync(ApnsPush push, CancellationToken cancellationToken)
    {
        var uri = new Uri(ResolveOrigin(_options, push.Sandbox), "/3/device/" + Uri.EscapeDataString(push.DeviceToken));
        var jwt = _tokens.GetToken();
        for (var renewed = false; ; renewed = true)
        {
            var (result, reason) = await SendOnceAsync(uri, push, jwt, cancellationToken);
            if (!renewed && result.StatusCode == (int)HttpStatusCode.Forbidden && reason == "ExpiredProviderToken")
            {
                Log.ProviderTokenExpired(_logger, TokenHint.For(jwt));
                jwt = _tokens.Renew(jwt);
                continue;
            }

            return result;
        }
    }

    private async Task<(PushAttemptResult Result, string? Reason)> SendOnceAsync(Uri uri, ApnsPush push, string jwt, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(push.Payload) { Headers = { ContentType = JsonContentType } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("bearer", jwt);
        request.Headers.TryAddWithoutValidation("apns-push-type", push.PushType);
        request.Headers.TryAddWithoutValidation("apns-topic", push.Topic);
        request.Headers.TryAddWithoutValidation("apns-priority", push.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("apns-expiration", push.Expiration.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("apns-collapse-id", push.CollapseId);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var failure = PushAttemptResult.FromException(ex);
            Log.RequestFailed(_logger, uri.Authority, TokenHint.For(push.DeviceToken), failure.Reason, ex);
            return (failure, null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return (PushAttemptResult.Sent(status), null);
            }

            var reason = await ReadReasonAsync(response, cancellationToken);
            Log.Rejected(_logger, status, reason, push.PushType, TokenHint.For(push.DeviceToken));
            var result = response.StatusCode switch
            {
                HttpStatusCode.Gone => new PushAttemptResult(AttemptVerdict.TokenDead, status, reason ?? "Unregistered"),
                HttpStatusCode.BadRequest when reason is "BadDeviceToken" or "DeviceTokenNotForTopic"
                    => new PushAttemptResult(AttemptVerdict.TokenDead, status, reason),
                var code when PushAttemptResult.IsRetryableStatus(code)
                    => new PushAttemptResult(AttemptVerdict.Retry, status, reason ?? $"HTTP{status}", PushAttemptResult.ReadRetryAfter(response, _time)),
                _ => new PushAttemptResult(AttemptVerdict.Failed, status, reason ?? $"HTTP{status}"),
            };
            return (result, reason);
        }
    }

    private static async Task<string?> ReadReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length == 0)
            {
                return null;
            }

            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("reason", out var reason)
                && reason.ValueKind == JsonValueKind.String
                ? reason.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
