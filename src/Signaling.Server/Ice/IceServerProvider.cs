using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Signaling.Server.Ice;

/// <summary>One entry of <c>RTCConfiguration.iceServers</c>.</summary>
/// <param name="Urls">STUN or TURN URLs.</param>
/// <param name="Username">TURN only: <c>&lt;expiry unix time&gt;:&lt;userId&gt;</c>.</param>
/// <param name="Credential">TURN only: base64 HMAC-SHA1 of the username with the shared secret.</param>
public sealed record IceServer(IReadOnlyList<string> Urls, string? Username = null, string? Credential = null);

/// <summary>The answer of <c>GET /v1/ice-servers</c>.</summary>
/// <param name="IceServers">Ready for <c>new RTCPeerConnection({ iceServers })</c>; empty when nothing is configured.</param>
/// <param name="Ttl">Seconds the TURN credentials stay valid; fetch again before then.</param>
public sealed record IceServersResponse(IReadOnlyList<IceServer> IceServers, int Ttl);

/// <summary>Builds the ICE servers for a user from <see cref="IceOptions"/>, with fresh TURN credentials.</summary>
public sealed class IceServerProvider(IOptions<IceOptions> options, TimeProvider time)
{
    /// <summary>The STUN entry (when configured) and a TURN entry with credentials for <paramref name="userId"/> (when configured).</summary>
    public IceServersResponse GetFor(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var settings = options.Value;
        var servers = new List<IceServer>(2);
        if (settings.StunUrls.Count > 0)
        {
            servers.Add(new IceServer([.. settings.StunUrls]));
        }

        if (settings.HasTurn)
        {
            var expiry = time.GetUtcNow().AddSeconds(settings.TurnTtl);
            var (username, credential) = TurnCredentials.Create(settings.TurnSecret!, userId, expiry);
            servers.Add(new IceServer([.. settings.TurnUrls], username, credential));
        }

        return new IceServersResponse(servers, settings.TurnTtl);
    }
}

/// <summary>
/// The TURN REST credential scheme (draft-uberti-behave-turn-rest, as coturn's <c>use-auth-secret</c> checks it):
/// the username is <c>&lt;expiry unix time&gt;:&lt;userId&gt;</c> and the password is base64(HMAC-SHA1(secret, username)).
/// </summary>
public static class TurnCredentials
{
    /// <summary>The username and credential valid until <paramref name="expiry"/>.</summary>
    public static (string Username, string Credential) Create(string secret, string userId, DateTimeOffset expiry)
    {
        var username = expiry.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + ":" + userId;

        // SHA-1 is what the TURN servers verify; the scheme leaves no choice.
#pragma warning disable CA5350
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username));
#pragma warning restore CA5350
        return (username, Convert.ToBase64String(mac));
    }
}
