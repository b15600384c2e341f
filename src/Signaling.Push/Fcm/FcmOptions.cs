using System.ComponentModel.DataAnnotations;
using Signaling.Push.Apns;

namespace Signaling.Push.Fcm;

/// <summary>
/// FCM settings, bound from <c>Push:Fcm</c>. FCM is off when neither <see cref="ServiceAccountPath"/> nor
/// <see cref="ServiceAccountJson"/> is set; an unreadable or incomplete account fails start-up.
/// </summary>
public sealed class FcmOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Push:Fcm";

    /// <summary>A path to the Firebase service-account JSON key file. Default none.</summary>
    public string? ServiceAccountPath { get; set; }

    /// <summary>The service-account JSON itself, instead of <see cref="ServiceAccountPath"/>; keep it in the environment or user-secrets. Default none.</summary>
    public string? ServiceAccountJson { get; set; }

    /// <summary>The Firebase project id. Default: the account's <c>project_id</c>.</summary>
    public string? ProjectId { get; set; }

    /// <summary>An origin replacing <c>https://fcm.googleapis.com</c> (the path stays), for proxies and tests. Default none.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Timeout of one HTTP request. Default 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when a service account is configured, i.e. FCM is on.</summary>
    internal bool IsEnabled => !string.IsNullOrWhiteSpace(ServiceAccountPath) || !string.IsNullOrWhiteSpace(ServiceAccountJson);

    /// <summary>Reads and parses the configured service account.</summary>
    internal FcmServiceAccount LoadServiceAccount()
    {
        var json = !string.IsNullOrWhiteSpace(ServiceAccountJson) ? ServiceAccountJson : File.ReadAllText(ServiceAccountPath!);
        return FcmServiceAccount.Parse(json);
    }

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (Endpoint is not null && !ApnsOptions.IsOrigin(Endpoint))
        {
            yield return new ValidationResult(
                "Push:Fcm:Endpoint must be an absolute http(s) origin such as https://127.0.0.1:8443, without path or query.",
                [nameof(Endpoint)]);
        }

        if (!IsEnabled)
        {
            yield break;
        }

        if (!string.IsNullOrWhiteSpace(ServiceAccountPath) && !string.IsNullOrWhiteSpace(ServiceAccountJson))
        {
            yield return new ValidationResult(
                "Set only one of Push:Fcm:ServiceAccountPath and Push:Fcm:ServiceAccountJson.",
                [nameof(ServiceAccountPath), nameof(ServiceAccountJson)]);
            yield break;
        }

        string? error = null;
        try
        {
            var account = LoadServiceAccount();
            if (string.IsNullOrWhiteSpace(ProjectId) && string.IsNullOrWhiteSpace(account.ProjectId))
            {
                error = "The FCM service account has no project_id; set Push:Fcm:ProjectId.";
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            var source = !string.IsNullOrWhiteSpace(ServiceAccountJson) ? "Push:Fcm:ServiceAccountJson" : $"Push:Fcm:ServiceAccountPath '{ServiceAccountPath}'";
            error = $"{source} is not a usable service-account key: {ex.Message}";
        }

        if (error is not null)
        {
            yield return new ValidationResult(error, [nameof(ServiceAccountPath), nameof(ServiceAccountJson), nameof(ProjectId)]);
        }
    }
}
