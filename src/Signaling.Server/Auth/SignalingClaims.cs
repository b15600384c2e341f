using System.Security.Claims;

namespace Signaling.Server.Auth;

/// <summary>Claims and scheme names used by the server.</summary>
public static class SignalingClaims
{
    /// <summary>The user id claim (JWT <c>sub</c>).</summary>
    public const string UserId = "sub";

    /// <summary>Present (value <c>true</c>) on principals authenticated with an API key.</summary>
    public const string Backend = "signaling:backend";

    /// <summary>The policy scheme that picks one of the others per request.</summary>
    public const string Scheme = "Signaling";

    /// <summary>API key scheme.</summary>
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>Development-only scheme: the user id comes from <c>X-User-Id</c>.</summary>
    public const string DevelopmentScheme = "DevelopmentUser";

    /// <summary>The user id of a principal, or null for backends and anonymous callers.</summary>
    public static string? GetUserId(this ClaimsPrincipal principal)
        => principal.Identity?.IsAuthenticated == true ? principal.FindFirst(UserId)?.Value : null;

    /// <summary>True for API-key callers.</summary>
    public static bool IsBackend(this ClaimsPrincipal principal) => principal.HasClaim(Backend, "true");
}
