using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Signaling.Server.Ice;

/// <summary>
/// ICE servers handed to clients (configuration section <c>Ice</c>). TURN credentials are minted per user with the
/// TURN REST scheme that coturn implements (<c>use-auth-secret</c>); the secret belongs in an environment variable
/// or user-secrets.
/// </summary>
public sealed class IceOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Ice";

    /// <summary>STUN server URLs (<c>stun:</c> or <c>stuns:</c>), offered to everyone. Default none.</summary>
    public IList<string> StunUrls { get; } = [];

    /// <summary>TURN server URLs (<c>turn:</c> or <c>turns:</c>); offered only when <see cref="TurnSecret"/> is set too. Default none.</summary>
    public IList<string> TurnUrls { get; } = [];

    /// <summary>The shared secret of the TURN servers (coturn's <c>static-auth-secret</c>). Default none: no TURN entry.</summary>
    public string? TurnSecret { get; set; }

    /// <summary>Lifetime of TURN credentials in seconds, also the <c>ttl</c> of the answer. Default 86400 (one day); 60 to 604800.</summary>
    [Range(60, 604800)]
    public int TurnTtl { get; set; } = 86400;

    /// <summary>True when TURN entries are handed out: at least one TURN URL and a secret.</summary>
    public bool HasTurn => TurnUrls.Count > 0 && !string.IsNullOrEmpty(TurnSecret);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var url in StunUrls)
        {
            if (!HasScheme(url, "stun:", "stuns:"))
            {
                yield return new ValidationResult($"Ice:StunUrls: '{url}' must start with stun: or stuns:.", [nameof(StunUrls)]);
            }
        }

        foreach (var url in TurnUrls)
        {
            if (!HasScheme(url, "turn:", "turns:"))
            {
                yield return new ValidationResult($"Ice:TurnUrls: '{url}' must start with turn: or turns:.", [nameof(TurnUrls)]);
            }
        }

        if (TurnSecret is { Length: > 0 } secret && string.IsNullOrWhiteSpace(secret))
        {
            yield return new ValidationResult("Ice:TurnSecret must not be blank.", [nameof(TurnSecret)]);
        }
    }

    private static bool HasScheme(string url, string scheme, string secureScheme)
        => url.Length > secureScheme.Length
            && (url.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || url.StartsWith(secureScheme, StringComparison.OrdinalIgnoreCase))
            && !url.Any(char.IsWhiteSpace);
}

/// <summary>Generated validation of <see cref="IceOptions"/> (data annotations and <c>IValidatableObject</c>).</summary>
[OptionsValidator]
internal sealed partial class IceOptionsValidator : IValidateOptions<IceOptions>;
