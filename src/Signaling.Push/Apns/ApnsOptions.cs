using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;

namespace Signaling.Push.Apns;

/// <summary>Which APNs host a push goes to by default.</summary>
public enum ApnsEnvironment
{
    /// <summary><c>https://api.push.apple.com</c>.</summary>
    Production,

    /// <summary><c>https://api.sandbox.push.apple.com</c>.</summary>
    Sandbox,
}

/// <summary>
/// APNs settings, bound from <c>Push:Apns</c>. APNs is off when none of <see cref="KeyId"/>, <see cref="TeamId"/>,
/// <see cref="PrivateKey"/> and <see cref="PrivateKeyPath"/> is set; setting only some of them fails start-up.
/// </summary>
public sealed class ApnsOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Push:Apns";

    /// <summary>The 10-character id of the <c>.p8</c> signing key (the JWT <c>kid</c>). Default none.</summary>
    public string? KeyId { get; set; }

    /// <summary>The 10-character Apple developer team id (the JWT <c>iss</c>). Default none.</summary>
    public string? TeamId { get; set; }

    /// <summary>The <c>.p8</c> key as PEM text (<c>\n</c> escapes allowed); keep it in the environment or user-secrets. Default none.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>A path to the <c>.p8</c> key file, instead of <see cref="PrivateKey"/>. Default none.</summary>
    public string? PrivateKeyPath { get; set; }

    /// <summary>The app's bundle id, the topic base for devices registered without one. Default none.</summary>
    public string? BundleId { get; set; }

    /// <summary>The APNs host for devices registered without <c>sandbox</c>. Default <see cref="ApnsEnvironment.Production"/>.</summary>
    public ApnsEnvironment Environment { get; set; } = ApnsEnvironment.Production;

    /// <summary>An origin (e.g. <c>https://127.0.0.1:8443</c>) replacing Apple's hosts in both environments, for proxies and tests. Default none.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Age at which the shared provider token (JWT) is replaced; Apple accepts 20 to 60 minutes. Default 50 minutes.</summary>
    [Range(typeof(TimeSpan), "00:20:00", "00:59:00")]
    public TimeSpan TokenRefreshInterval { get; set; } = TimeSpan.FromMinutes(50);

    /// <summary>Timeout of one HTTP request. Default 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when the credentials are complete, i.e. APNs is on.</summary>
    internal bool IsEnabled =>
        !string.IsNullOrWhiteSpace(KeyId) && !string.IsNullOrWhiteSpace(TeamId) && HasKey;

    private bool HasKey => !string.IsNullOrWhiteSpace(PrivateKey) || !string.IsNullOrWhiteSpace(PrivateKeyPath);

    private bool IsPartlyConfigured =>
        !string.IsNullOrWhiteSpace(KeyId) || !string.IsNullOrWhiteSpace(TeamId) || HasKey;

    /// <summary>Reads the key (PEM text or file) and imports it.</summary>
    internal ECDsa LoadKey()
    {
        var pem = !string.IsNullOrWhiteSpace(PrivateKey)
            ? PrivateKey.Replace("\\n", "\n", StringComparison.Ordinal)
            : File.ReadAllText(PrivateKeyPath!);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256)
            {
                throw new CryptographicException("The key is not a P-256 key.");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (Endpoint is not null && !IsOrigin(Endpoint))
        {
            yield return new ValidationResult(
                "Push:Apns:Endpoint must be an absolute http(s) origin such as https://127.0.0.1:8443, without path or query.",
                [nameof(Endpoint)]);
        }

        if (!Enum.IsDefined(Environment))
        {
            yield return new ValidationResult("Push:Apns:Environment must be 'production' or 'sandbox'.", [nameof(Environment)]);
        }

        if (!IsPartlyConfigured)
        {
            yield break;
        }

        if (!IsEnabled)
        {
            var missing = new List<string>();
            if (string.IsNullOrWhiteSpace(KeyId))
            {
                missing.Add("Push:Apns:KeyId");
            }

            if (string.IsNullOrWhiteSpace(TeamId))
            {
                missing.Add("Push:Apns:TeamId");
            }

            if (!HasKey)
            {
                missing.Add("Push:Apns:PrivateKey (or Push:Apns:PrivateKeyPath)");
            }

            yield return new ValidationResult(
                $"APNs is partially configured: {string.Join(", ", missing)} missing. Set all of KeyId, TeamId and PrivateKey/PrivateKeyPath, or none to turn APNs off.",
                [nameof(KeyId), nameof(TeamId), nameof(PrivateKey)]);
            yield break;
        }

        if (!string.IsNullOrWhiteSpace(PrivateKey) && !string.IsNullOrWhiteSpace(PrivateKeyPath))
        {
            yield return new ValidationResult(
                "Set only one of Push:Apns:PrivateKey and Push:Apns:PrivateKeyPath.",
                [nameof(PrivateKey), nameof(PrivateKeyPath)]);
            yield break;
        }

        string? keyError = null;
        try
        {
            using var key = LoadKey();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            // The message names the problem without echoing key material.
            keyError = !string.IsNullOrWhiteSpace(PrivateKey)
                ? $"Push:Apns:PrivateKey is not a PEM EC P-256 private key (.p8): {ex.GetType().Name}."
                : $"Push:Apns:PrivateKeyPath '{PrivateKeyPath}' could not be read as a PEM EC P-256 private key (.p8): {ex.Message}";
        }

        if (keyError is not null)
        {
            yield return new ValidationResult(keyError, [nameof(PrivateKey), nameof(PrivateKeyPath)]);
        }
    }

    internal static bool IsOrigin(Uri uri) =>
        uri.IsAbsoluteUri
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.AbsolutePath == "/"
        && string.IsNullOrEmpty(uri.Query)
        && string.IsNullOrEmpty(uri.Fragment);
}
