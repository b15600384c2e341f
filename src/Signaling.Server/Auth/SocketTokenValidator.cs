using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Signaling.Server.Auth;

/// <summary>Validates a user JWT presented in a Socket.IO handshake with the same rules as the REST API.</summary>
public sealed class SocketTokenValidator(IOptionsMonitor<JwtBearerOptions> jwtOptions)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The user id in a valid token, or null.</summary>
    public async Task<string?> ValidateAsync(string token)
    {
        var options = jwtOptions.Get(JwtBearerDefaults.AuthenticationScheme);
        var parameters = options.TokenValidationParameters.Clone();
        if (options.ConfigurationManager is { } manager)
        {
            // OIDC authority: take the signing keys from its metadata, as the bearer handler does.
            var configuration = await manager.GetConfigurationAsync(CancellationToken.None);
            parameters.IssuerSigningKeys = configuration.SigningKeys;
            parameters.ValidIssuer ??= configuration.Issuer;
        }

        var result = await _handler.ValidateTokenAsync(token, parameters);
        return result.IsValid ? new ClaimsPrincipal(result.ClaimsIdentity).FindFirst(SignalingClaims.UserId)?.Value : null;
    }
}
