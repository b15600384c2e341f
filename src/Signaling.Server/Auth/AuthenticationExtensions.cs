using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Signaling.Server.Auth;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Who is calling: user JWTs, backend API keys, and (Development only) a plain user id header.</summary>
public static class AuthenticationExtensions
{
    /// <summary>
    /// Adds the authentication schemes behind one policy scheme that picks per request: <c>X-Api-Key</c> → API key,
    /// a bearer token (header, or <c>access_token</c> query for SignalR) → JWT, otherwise in Development with no credentials
    /// configured → <c>X-User-Id</c>. Outside Development the server refuses to start without credentials.
    /// </summary>
    public static WebApplicationBuilder AddSignalingAuthentication(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Auth");
        var settings = section.Get<AuthOptions>() ?? new AuthOptions();
        var isDevelopment = builder.Environment.IsDevelopment();
        var developmentUsers = isDevelopment && !settings.HasCredentials;
        builder.Services.AddOptions<AuthOptions>().Bind(section)
            .Validate(o => isDevelopment || o.HasCredentials,
                "No credentials configured: set Auth:Jwt:SigningKey, Auth:Jwt:Authority or Auth:ApiKeys. Outside Development the server refuses to start without them.")
            .Validate(o => string.IsNullOrEmpty(o.Jwt.SigningKey) || Encoding.UTF8.GetByteCount(o.Jwt.SigningKey) >= 32,
                "Auth:Jwt:SigningKey must be at least 32 bytes (HS256).")
            .ValidateOnStart();
        builder.Services.AddSingleton(new DevelopmentUsers(developmentUsers));

        builder.Services.AddAuthentication(SignalingClaims.Scheme)
            .AddPolicyScheme(SignalingClaims.Scheme, "Signaling", options =>
            {
                options.ForwardDefaultSelector = context =>
                {
                    if (context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName))
                    {
                        return SignalingClaims.ApiKeyScheme;
                    }

                    var hasBearer = context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        || context.Request.Query.ContainsKey("access_token");
                    return !hasBearer && developmentUsers ? SignalingClaims.DevelopmentScheme : JwtBearerDefaults.AuthenticationScheme;
                };
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(SignalingClaims.ApiKeyScheme, null)
            .AddScheme<AuthenticationSchemeOptions, DevelopmentUserAuthenticationHandler>(SignalingClaims.DevelopmentScheme, null)
            .AddJwtBearer();
        builder.Services.AddSingleton<IConfigureOptions<JwtBearerOptions>, ConfigureJwtBearer>();
        builder.Services.AddSingleton<SocketTokenValidator>();
        builder.Services.AddAuthorization();
        return builder;
    }

    private sealed class ConfigureJwtBearer(IOptions<AuthOptions> auth) : IConfigureNamedOptions<JwtBearerOptions>
    {
        public void Configure(JwtBearerOptions options) => Configure(JwtBearerDefaults.AuthenticationScheme, options);

        public void Configure(string? name, JwtBearerOptions options)
        {
            if (name != JwtBearerDefaults.AuthenticationScheme)
            {
                return;
            }

            var jwt = auth.Value.Jwt;
            options.MapInboundClaims = false;
            if (!string.IsNullOrEmpty(jwt.Authority))
            {
                options.Authority = jwt.Authority;
            }

            options.TokenValidationParameters = new TokenValidationParameters
            {
                NameClaimType = SignalingClaims.UserId,
                ValidateIssuer = !string.IsNullOrEmpty(jwt.Issuer),
                ValidIssuer = jwt.Issuer,
                ValidateAudience = !string.IsNullOrEmpty(jwt.Audience),
                ValidAudience = jwt.Audience,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                ClockSkew = jwt.ClockSkew,
                ValidateIssuerSigningKey = true,
            };
            if (!string.IsNullOrEmpty(jwt.SigningKey))
            {
                options.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.SigningKey));
                options.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
            }
            else if (string.IsNullOrEmpty(jwt.Authority))
            {
                // No way to validate tokens: refuse them all rather than accept unsigned ones.
                options.TokenValidationParameters.IssuerSigningKeyResolver = (_, _, _, _) => [];
            }

            // Browsers cannot set headers on WebSockets: SignalR sends the token as access_token.
            options.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    var token = context.Request.Query["access_token"].ToString();
                    if (token.Length > 0 && context.HttpContext.Request.Path.StartsWithSegments("/hubs"))
                    {
                        context.Token = token;
                    }

                    return Task.CompletedTask;
                },

                // A user token names its user: without sub it would be authenticated yet act as nobody (GET answered 404, not 401).
                OnTokenValidated = context =>
                {
                    if (context.Principal?.FindFirst(SignalingClaims.UserId) is null)
                    {
                        context.Fail("The token has no 'sub' claim.");
                    }

                    return Task.CompletedTask;
                },
            };
        }
    }
}

/// <summary>Whether Development's plain user ids are accepted (Development with no credentials configured).</summary>
public sealed record DevelopmentUsers(bool Enabled);
