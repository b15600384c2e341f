namespace Signaling.Server.Auth;

/// <summary>Authentication settings (configuration section <c>Auth</c>). Secrets belong in environment variables or user-secrets.</summary>
public sealed class AuthOptions
{
    /// <summary>User tokens.</summary>
    public JwtSettings Jwt { get; set; } = new();

    /// <summary>Backend API keys, sent as <c>X-Api-Key</c>; a key acts for any user named in the request. Default none.</summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>Sockets without a token may still use the relay (they get no invitation events). Default true, so unchanged apps keep working.</summary>
    public bool AllowAnonymousRelay { get; set; } = true;

    /// <summary>True when any credential (JWT key, authority or API key) is configured.</summary>
    public bool HasCredentials => !string.IsNullOrEmpty(Jwt.SigningKey) || !string.IsNullOrEmpty(Jwt.Authority) || ApiKeys.Any(k => !string.IsNullOrEmpty(k));

    /// <summary>User JWT validation: <c>sub</c> is the user id.</summary>
    public sealed class JwtSettings
    {
        /// <summary>HS256 signing key (at least 32 bytes of UTF-8). Default none.</summary>
        public string? SigningKey { get; set; }

        /// <summary>OIDC authority whose keys sign the tokens (RS256/ES256). Default none.</summary>
        public string? Authority { get; set; }

        /// <summary>Required <c>iss</c>; checked when set.</summary>
        public string? Issuer { get; set; }

        /// <summary>Required <c>aud</c>; checked when set.</summary>
        public string? Audience { get; set; }

        /// <summary>Allowed clock skew. Default 30 s.</summary>
        public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
    }
}
