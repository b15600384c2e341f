using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Signaling.TestKit.PushStandIns;

/// <summary>What the FCM stand-in received and answered.</summary>
public sealed record FcmRequestRecord(string Path, string? AccessToken, string Body, int Status, string? ErrorCode)
{
    public JsonElement Message => JsonDocument.Parse(Body).RootElement.GetProperty("message").Clone();

    public string? Token => Message.TryGetProperty("token", out var t) ? t.GetString() : null;

    /// <summary>The message's token, or null when the body is not a message.</summary>
    public string? TryGetToken()
    {
        try
        {
            return Token;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public IReadOnlyDictionary<string, string> Data =>
        Message.GetProperty("data").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

    public JsonElement Android => Message.GetProperty("android");
}

/// <summary>
/// An FCM HTTP v1 stand-in: checks the path and project, the bearer token (issued by <see cref="OAuthStandIn"/>),
/// string-only data under 4 KB, and the android block; answers like FCM, including its error body shape.
/// </summary>
public sealed partial class FcmStandIn : StandInServer
{
    private readonly OAuthStandIn _oauth;
    private readonly string _projectId;
    private readonly ConcurrentDictionary<string, bool> _tokens = new();
    private readonly ConcurrentDictionary<string, bool> _revoked = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Reply>> _scripted = new();
    private readonly ConcurrentQueue<FcmRequestRecord> _requests = new();
    private readonly HashSet<string> _seenAccessTokens = [];
    private int _tokensToRevoke;

    private FcmStandIn(OAuthStandIn oauth, string projectId)
    {
        _oauth = oauth;
        _projectId = projectId;
    }

    public static async Task<FcmStandIn> StartAsync(OAuthStandIn oauth, string projectId)
    {
        var server = new FcmStandIn(oauth, projectId);
        await server.StartAsync(HttpProtocols.Http1AndHttp2);
        return server;
    }

    public IReadOnlyList<FcmRequestRecord> Requests => [.. _requests];

    public IReadOnlyList<FcmRequestRecord> Accepted => [.. _requests.Where(r => r.Status == 200)];

    /// <summary>Requests whose message named <paramref name="token"/>, in arrival order.</summary>
    public IReadOnlyList<FcmRequestRecord> To(string token) => [.. _requests.Where(r => r.TryGetToken() == token)];

    /// <summary>A registration token an installed app holds.</summary>
    public void RegisterToken(string token) => _tokens[token] = true;

    /// <summary>From now on the token answers 404 UNREGISTERED.</summary>
    public void Unregister(string token) => _tokens.TryRemove(token, out _);

    /// <summary>The next <paramref name="count"/> distinct access tokens seen are refused (401 UNAUTHENTICATED).</summary>
    public void RevokeAccessTokens(int count) => Interlocked.Exchange(ref _tokensToRevoke, count);

    /// <summary>The next valid requests to <paramref name="token"/> get these answers, in order.</summary>
    public void Script(string token, params Reply[] replies)
    {
        var queue = _scripted.GetOrAdd(token, _ => new ConcurrentQueue<Reply>());
        foreach (var reply in replies)
        {
            queue.Enqueue(reply);
        }
    }

    protected override async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var authorization = context.Request.Headers.Authorization.ToString();
        var accessToken = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization[7..] : null;
        var (reply, token) = Check(context.Request, accessToken, body);
        reply ??= token is not null && _scripted.TryGetValue(token, out var queue) && queue.TryDequeue(out var next) ? next : new Reply(200);
        _requests.Enqueue(new FcmRequestRecord(context.Request.Path.Value ?? "", accessToken, body, reply.Status, reply.Reason));
        if (!await DelayAsync(reply, context))
        {
            return;
        }

        context.Response.StatusCode = reply.Status;
        if (reply.RetryAfter is not null)
        {
            context.Response.Headers.RetryAfter = reply.RetryAfter;
        }

        if (reply.Status == 200)
        {
            await context.Response.WriteAsJsonAsync(new { name = $"projects/{_projectId}/messages/{Guid.NewGuid():N}" }, context.RequestAborted);
            return;
        }

        var status = reply.Status switch
        {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            429 => "RESOURCE_EXHAUSTED",
            503 => "UNAVAILABLE",
            _ => "INTERNAL",
        };
        object[] details = reply.Reason is null
            ? []
            : [new Dictionary<string, object> { ["@type"] = "type.googleapis.com/google.firebase.fcm.v1.FcmError", ["errorCode"] = reply.Reason }];
        await context.Response.WriteAsJsonAsync(
            new { error = new { code = reply.Status, message = reply.Reason ?? status, status, details } },
            context.RequestAborted);
    }

    private (Reply? Reply, string? Token) Check(HttpRequest request, string? accessToken, string body)
    {
        if (request.Method != "POST" || request.Path != $"/v1/projects/{_projectId}/messages:send")
        {
            return (new Reply(404, null), null);
        }

        if (accessToken is not null)
        {
            lock (_seenAccessTokens)
            {
                if (_seenAccessTokens.Add(accessToken) && _tokensToRevoke > 0)
                {
                    _tokensToRevoke--;
                    _revoked[accessToken] = true;
                }
            }
        }

        if (accessToken is null || !_oauth.IsIssued(accessToken) || _revoked.ContainsKey(accessToken))
        {
            return (new Reply(401, null), null);
        }

        JsonElement message;
        try
        {
            message = JsonDocument.Parse(body).RootElement.GetProperty("message").Clone();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (new Reply(400, "INVALID_ARGUMENT"), null);
        }

        var token = message.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (string.IsNullOrEmpty(token))
        {
            return (new Reply(400, "INVALID_ARGUMENT"), null);
        }

        if (!message.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            return (new Reply(400, "INVALID_ARGUMENT"), token);
        }

        var size = 0;
        foreach (var field in data.EnumerateObject())
        {
            if (field.Value.ValueKind != JsonValueKind.String)
            {
                return (new Reply(400, "INVALID_ARGUMENT"), token);
            }

            size += Encoding.UTF8.GetByteCount(field.Name) + Encoding.UTF8.GetByteCount(field.Value.GetString()!);
        }

        if (size > 4096)
        {
            return (new Reply(400, "INVALID_ARGUMENT"), token);
        }

        if (!message.TryGetProperty("android", out var android)
            || android.GetProperty("priority").GetString() is not ("high" or "normal")
            || !TtlPattern().IsMatch(android.GetProperty("ttl").GetString() ?? ""))
        {
            return (new Reply(400, "INVALID_ARGUMENT"), token);
        }

        return (_tokens.ContainsKey(token) ? null : new Reply(404, "UNREGISTERED"), token);
    }

    [GeneratedRegex(@"^\d+(\.\d{1,9})?s$")]
    private static partial Regex TtlPattern();
}
