using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Signaling.Server.Tests.TestSupport;

/// <summary>Test credentials and user JWTs (HS256) signed like the server expects.</summary>
public static class Tokens
{
    public const string SigningKey = "tests-only-signing-key-0123456789-abcdef";
    public const string Issuer = "https://issuer.signaling.test";
    public const string Audience = "signaling-tests";
    public const string ApiKey = "tests-only-api-key-5b8f1e0c7a";

    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>A valid token for <paramref name="userId"/> (no <c>sub</c> when null).</summary>
    public static string For(
        string? userId, DateTime? expires = null, string? issuer = Issuer, string? audience = Audience, string signingKey = SigningKey)
    {
        var expiry = expires ?? DateTime.UtcNow.AddMinutes(10);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(userId is null ? [new Claim("name", "nobody")] : [new Claim("sub", userId)]),
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expiry.AddMinutes(-20),
            NotBefore = expiry.AddMinutes(-20),
            Expires = expiry,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    public static string Expired(string userId) => For(userId, expires: DateTime.UtcNow.AddMinutes(-5));

    public static string BadSignature(string userId) => For(userId, signingKey: "another-signing-key-that-is-long-enough-0123");
}
