using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Signaling.TestKit.PushStandIns;

/// <summary>What the APNs stand-in received and answered.</summary>
public sealed record ApnsRequestRecord(
    string Protocol,
    string DeviceToken,
    IReadOnlyDictionary<string, string> Headers,
    string Payload,
    int PayloadBytes,
    string? Jwt,
    int Status,
    string? Reason)
{
    /// <summary>When the request arrived (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</summary>
    public long ReceivedAt { get; init; }

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public JsonElement Json => JsonDocument.Parse(Payload).RootElement.Clone();
}

/// <summary>
/// An APNs stand-in that checks what APNs checks: HTTP/2, the ES256 provider token (signature, kid, iss, age under
/// an hour), the push type, topic, priority, expiration and collapse id headers, the token's topic, and the payload
/// size (5 KB VoIP, 4 KB otherwise).
/// </summary>
public sealed class ApnsStandIn : StandInServer
{
    private readonly ECDsa _publicKey;
    private readonly string _keyId;
    private readonly string _teamId;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, string> _tokenTopics = new();
    private readonly ConcurrentDictionary<string, bool> _unregistered = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Reply>> _scripted = new();
    private readonly ConcurrentQueue<ApnsRequestRecord> _requests = new();
    private readonly ConcurrentDictionary<string, bool> _expiredJwts = new();
    private readonly HashSet<string> _seenJwts = [];
    private readonly ConcurrentDictionary<string, bool> _verifiedJwts = new(StringComparer.Ordinal);
    private int _jwtsToExpire;
    private int _accepted;
    private int _refused;

    private ApnsStandIn(ECDsa publicKey, string keyId, string teamId, TimeProvider time)
    {
        _publicKey = publicKey;
        _keyId = keyId;
        _teamId = teamId;
        _time = time;
    }

    public static async Task<ApnsStandIn> StartAsync(ECDsa publicKey, string keyId, string teamId, TimeProvider time)
    {
        var server = new ApnsStandIn(publicKey, keyId, teamId, time);
        await server.StartAsync(HttpProtocols.Http2);
        return server;
    }

    public IReadOnlyList<ApnsRequestRecord> Requests => [.. _requests];

    public IReadOnlyList<ApnsRequestRecord> Accepted => [.. _requests.Where(r => r.Status == 200)];

    /// <summary>How many requests were answered 200 so far (cheap to poll).</summary>
    public int AcceptedCount => Volatile.Read(ref _accepted);

    /// <summary>How many requests were answered with an error so far.</summary>
    public int RefusedCount => Volatile.Read(ref _refused);

    /// <summary>Requests sent to <paramref name="deviceToken"/>, in arrival order.</summary>
    public IReadOnlyList<ApnsRequestRecord> To(string deviceToken) => [.. _requests.Where(r => r.DeviceToken == deviceToken)];

    /// <summary>A device token the app obtained for <paramref name="topic"/> (<c>bundle.voip</c> for PushKit tokens).</summary>
    public void RegisterToken(string token, string topic) => _tokenTopics[token] = topic;

    /// <summary>From now on the token answers 410 Unregistered.</summary>
    public void Unregister(string token) => _unregistered[token] = true;

    /// <summary>The next requests to <paramref name="token"/> (valid ones) get these answers, in order.</summary>
    public void Script(string token, params Reply[] replies)
    {
        var queue = _scripted.GetOrAdd(token, _ => new ConcurrentQueue<Reply>());
        foreach (var reply in replies)
        {
            queue.Enqueue(reply);
        }
    }

    /// <summary>The next <paramref name="count"/> distinct provider tokens seen count as expired, whatever their age.</summary>
    public void ExpireProviderTokens(int count) => Interlocked.Exchange(ref _jwtsToExpire, count);

    protected override async Task HandleAsync(HttpContext context)
    {
        var receivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var request = context.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        var payloadBytes = body.ToArray();
        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var path = request.Path.Value ?? "";
        var deviceToken = path.StartsWith("/3/device/", StringComparison.Ordinal) ? Uri.UnescapeDataString(path["/3/device/".Length..]) : "";
        var authorization = headers.GetValueOrDefault("authorization");
        var jwt = authorization?.StartsWith("bearer ", StringComparison.OrdinalIgnoreCase) == true ? authorization[7..] : null;

        var reply = Check(request, headers, deviceToken, jwt, payloadBytes) ?? NextScripted(deviceToken) ?? new Reply(200);
        _requests.Enqueue(new ApnsRequestRecord(
            request.Protocol, deviceToken, headers, System.Text.Encoding.UTF8.GetString(payloadBytes), payloadBytes.Length, jwt, reply.Status, reply.Reason)
        {
            ReceivedAt = receivedAt,
        });
        if (reply.Status == 200)
        {
            Interlocked.Increment(ref _accepted);
        }
        else
        {
            Interlocked.Increment(ref _refused);
        }

        if (!await DelayAsync(reply, context))
        {
            return;
        }

        context.Response.StatusCode = reply.Status;
        context.Response.Headers["apns-id"] = Guid.NewGuid().ToString();
        if (reply.RetryAfter is not null)
        {
            context.Response.Headers.RetryAfter = reply.RetryAfter;
        }

        if (reply.Reason is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new { reason = reply.Reason }), context.RequestAborted);
        }
    }

    private Reply? NextScripted(string token) =>
        _scripted.TryGetValue(token, out var queue) && queue.TryDequeue(out var reply) ? reply : null;

    private Reply? Check(HttpRequest request, Dictionary<string, string> headers, string deviceToken, string? jwt, byte[] payload)
    {
        if (request.Protocol != "HTTP/2" || request.Method != "POST" || deviceToken.Length == 0)
        {
            return new Reply(405, "MethodNotAllowed");
        }

        if (jwt is null)
        {
            return new Reply(403, "MissingProviderToken");
        }

        if (!Jwt.TryParse(jwt, out var token)
            || token.HeaderString("alg") != "ES256"
            || token.HeaderString("kid") != _keyId
            || token.ClaimString("iss") != _teamId
            || token.ClaimNumber("iat") is not { } iat
            || !IsSignedByProvider(token))
        {
            return new Reply(403, "InvalidProviderToken");
        }

        var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(iat);
        if (age >= TimeSpan.FromHours(1) || age < TimeSpan.FromMinutes(-5))
        {
            return new Reply(403, "ExpiredProviderToken");
        }

        lock (_expiredJwts)
        {
            if (!_expiredJwts.ContainsKey(jwt!) && _jwtsToExpire > 0 && !_seenJwts.Contains(jwt!))
            {
                _jwtsToExpire--;
                _expiredJwts[jwt!] = true;
            }

            _seenJwts.Add(jwt!);
        }

        if (_expiredJwts.ContainsKey(jwt!))
        {
            return new Reply(403, "ExpiredProviderToken");
        }

        var pushType = headers.GetValueOrDefault("apns-push-type");
        if (pushType is not ("voip" or "alert" or "background"))
        {
            return new Reply(400, "InvalidPushType");
        }

        if (headers.GetValueOrDefault("apns-topic") is not { Length: > 0 } topic)
        {
            return new Reply(400, "MissingTopic");
        }

        if (topic.EndsWith(".voip", StringComparison.Ordinal) != (pushType == "voip"))
        {
            return new Reply(400, "TopicDisallowed");
        }

        var priority = headers.GetValueOrDefault("apns-priority");
        if (priority is not ("10" or "5" or "1") || (pushType == "background" && priority != "5"))
        {
            return new Reply(400, "BadPriority");
        }

        if (!long.TryParse(headers.GetValueOrDefault("apns-expiration"), out _))
        {
            return new Reply(400, "BadExpirationDate");
        }

        if (headers.GetValueOrDefault("apns-collapse-id") is { } collapseId && System.Text.Encoding.UTF8.GetByteCount(collapseId) > 64)
        {
            return new Reply(400, "BadCollapseId");
        }

        if (payload.Length > (pushType == "voip" ? 5120 : 4096))
        {
            return new Reply(413, "PayloadTooLarge");
        }

        try
        {
            using var json = JsonDocument.Parse(payload);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new Reply(400, "PayloadEmpty");
            }

            if (pushType == "background"
                && !(json.RootElement.TryGetProperty("aps", out var aps) && aps.TryGetProperty("content-available", out var ca) && ca.GetInt32() == 1))
            {
                return new Reply(400, "PayloadEmpty");
            }
        }
        catch (JsonException)
        {
            return new Reply(400, "PayloadEmpty");
        }

        if (_unregistered.ContainsKey(deviceToken))
        {
            return new Reply(410, "Unregistered");
        }

        if (!_tokenTopics.TryGetValue(deviceToken, out var tokenTopic))
        {
            return new Reply(400, "BadDeviceToken");
        }

        return tokenTopic == topic ? null : new Reply(400, "DeviceTokenNotForTopic");
    }

    // A provider token is reused for up to an hour: its signature is checked once (its age on every request), which
    // keeps the stand-in cheap under the fan-out benchmark.
    private bool IsSignedByProvider(Jwt token)
    {
        if (_verifiedJwts.ContainsKey(token.Raw))
        {
            return true;
        }

        if (!_publicKey.VerifyData(token.SigningInput, token.Signature, HashAlgorithmName.SHA256))
        {
            return false;
        }

        _verifiedJwts[token.Raw] = true;
        return true;
    }
}
