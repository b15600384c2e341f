using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Signaling.Push.Apns;

/// <summary>
/// The APNs provider token (ES256 JWT) shared by every request of the process. It is replaced when it reaches
/// <see cref="ApnsOptions.TokenRefreshInterval"/> or when APNs answers <c>ExpiredProviderToken</c>; Apple rejects
/// providers that mint tokens too often, so it is never minted per request.
/// </summary>
internal sealed partial class ApnsTokenProvider : IDisposable
{
    private readonly ApnsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private ECDsa? _key;
    private ProviderToken? _current;

    public ApnsTokenProvider(IOptions<ApnsOptions> options, TimeProvider time, ILogger<ApnsTokenProvider> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>The current token, minted first if it is missing or has reached the refresh age.</summary>
    public string GetToken()
    {
        var current = Volatile.Read(ref _current);
        var now = _time.GetUtcNow();
        if (current is not null && now - current.IssuedAt < _options.TokenRefreshInterval)
        {
            return current.Jwt;
        }

        lock (_lock)
        {
            current = _current;
            if (current is not null && now - current.IssuedAt < _options.TokenRefreshInterval)
            {
                return current.Jwt;
            }

            return Mint(now, current is null ? "first use" : "refresh age reached").Jwt;
        }
    }

    /// <summary>Replaces <paramref name="rejected"/> after <c>ExpiredProviderToken</c>, once however many requests saw it.</summary>
    public string Renew(string rejected)
    {
        lock (_lock)
        {
            var current = _current;
            if (current is not null && !string.Equals(current.Jwt, rejected, StringComparison.Ordinal))
            {
                return current.Jwt;
            }

            return Mint(_time.GetUtcNow(), "ExpiredProviderToken").Jwt;
        }
    }

    public void Dispose() => _key?.Dispose();

    private ProviderToken Mint(DateTimeOffset now, string why)
    {
        _key ??= _options.LoadKey();
        var header = Base64UrlJson(w =>
        {
            w.WriteString("alg", "ES256");
            w.WriteString("kid", _options.KeyId);
        });
        var claims = Base64UrlJson(w =>
        {
            w.WriteString("iss", _options.TeamId);
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
        });
        var signingInput = header + "." + claims;

        // ECDsa.SignData emits the IEEE P1363 r||s form that JWS ES256 requires.
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);
        var token = new ProviderToken(signingInput + "." + Base64Url.EncodeToString(signature), now);
        Volatile.Write(ref _current, token);
        Log.ProviderTokenMinted(_logger, _options.KeyId, why, TokenHint.For(token.Jwt));
        return token;
    }

    private static string Base64UrlJson(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        return Base64Url.EncodeToString(stream.GetBuffer().AsSpan(0, (int)stream.Length));
    }

    private sealed record ProviderToken(string Jwt, DateTimeOffset IssuedAt);
}
