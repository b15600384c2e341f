using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Signaling.TestKit.PushStandIns;

/// <summary>
/// A Google OAuth2 token endpoint stand-in: accepts a JWT-bearer assertion signed RS256 with the service account's
/// key, with the right iss, scope and aud and a lifetime of at most an hour; answers a fresh access token.
/// </summary>
/// <remarks>
/// aud: Google requires <see cref="GoogleAudience"/>, which is also the token_uri of every real key file, and
/// Google.Apis.Auth 1.78 always sends it, even when token_uri points elsewhere (as here). So the stand-in checks
/// what Google checks rather than aud == token_uri.
/// </remarks>
public sealed class OAuthStandIn : StandInServer
{
    public const string FcmScope = "https://www.googleapis.com/auth/firebase.messaging";
    public const string GoogleAudience = "https://oauth2.googleapis.com/token";

    private readonly RSA _publicKey;
    private readonly string _clientEmail;
    private readonly string _keyId;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<string> _issued = new();
    private readonly ConcurrentQueue<string> _rejections = new();

    private OAuthStandIn(RSA publicKey, string clientEmail, string keyId, TimeProvider time)
    {
        _publicKey = publicKey;
        _clientEmail = clientEmail;
        _keyId = keyId;
        _time = time;
    }

    public static async Task<OAuthStandIn> StartAsync(RSA publicKey, string clientEmail, string keyId, TimeProvider time)
    {
        var server = new OAuthStandIn(publicKey, clientEmail, keyId, time);
        await server.StartAsync(HttpProtocols.Http1AndHttp2);
        return server;
    }

    public string TokenUri => new Uri(Origin, "/token").ToString();

    /// <summary>Access tokens issued, in order.</summary>
    public IReadOnlyList<string> Issued => [.. _issued];

    /// <summary>Why assertions were refused (should stay empty).</summary>
    public IReadOnlyList<string> Rejections => [.. _rejections];

    public bool IsIssued(string accessToken) => _issued.Contains(accessToken);

    protected override async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method != "POST" || context.Request.Path != "/token" || !context.Request.HasFormContentType)
        {
            context.Response.StatusCode = 404;
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var error = Check(form["grant_type"].ToString(), form["assertion"].ToString());
        if (error is not null)
        {
            _rejections.Enqueue(error);
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = "invalid_grant", error_description = error }, context.RequestAborted);
            return;
        }

        var accessToken = $"ya29.test-{_issued.Count + 1}-{Guid.NewGuid():N}";
        _issued.Enqueue(accessToken);
        await context.Response.WriteAsJsonAsync(new { access_token = accessToken, token_type = "Bearer", expires_in = 3600 }, context.RequestAborted);
    }

    private string? Check(string grantType, string assertion)
    {
        if (grantType != "urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return $"grant_type {grantType}";
        }

        if (!Jwt.TryParse(assertion, out var jwt))
        {
            return "assertion is not a JWT";
        }

        if (jwt.HeaderString("alg") != "RS256"
            || !_publicKey.VerifyData(jwt.SigningInput, jwt.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return "bad signature";
        }

        if (jwt.HeaderString("kid") is { } kid && kid != _keyId)
        {
            return $"kid {kid}";
        }

        if (jwt.ClaimString("iss") != _clientEmail)
        {
            return $"iss {jwt.ClaimString("iss")}";
        }

        if (jwt.ClaimString("scope")?.Split(' ').Contains(FcmScope) != true)
        {
            return $"scope {jwt.ClaimString("scope")}";
        }

        if (jwt.ClaimString("aud") != GoogleAudience)
        {
            return $"aud {jwt.ClaimString("aud")}";
        }

        if (jwt.ClaimNumber("iat") is not { } iat || jwt.ClaimNumber("exp") is not { } exp || exp <= iat || exp - iat > 3600)
        {
            return "iat/exp";
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        return iat > now + 300 || exp < now ? $"stale assertion iat={iat} now={now}" : null;
    }
}
