using System.Security.Cryptography;
using System.Text.Json;

namespace Signaling.Push.Fcm;

/// <summary>The fields of a Google service-account key file that FCM needs.</summary>
internal sealed record FcmServiceAccount(string ClientEmail, string PrivateKey, string? PrivateKeyId, string? ProjectId, string TokenUri)
{
    public const string DefaultTokenUri = "https://oauth2.googleapis.com/token";

    /// <summary>Parses the JSON; <see cref="FormatException"/> names what is wrong, never the key.</summary>
    public static FcmServiceAccount Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"invalid JSON (line {ex.LineNumber + 1}).", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("the JSON is not an object.");
            }

            var type = GetString(root, "type");
            if (type != "service_account")
            {
                throw new FormatException($"\"type\" is '{type}', expected 'service_account'.");
            }

            var email = GetString(root, "client_email") ?? throw new FormatException("\"client_email\" is missing.");
            var key = GetString(root, "private_key") ?? throw new FormatException("\"private_key\" is missing.");
            var tokenUri = GetString(root, "token_uri") ?? DefaultTokenUri;
            if (!Uri.TryCreate(tokenUri, UriKind.Absolute, out _))
            {
                throw new FormatException("\"token_uri\" is not an absolute URI.");
            }

            using (var rsa = RSA.Create())
            {
                try
                {
                    rsa.ImportFromPem(key);
                }
                catch (Exception ex) when (ex is ArgumentException or CryptographicException)
                {
                    throw new FormatException("\"private_key\" is not a PEM RSA private key.", ex);
                }
            }

            return new FcmServiceAccount(email, key, GetString(root, "private_key_id"), GetString(root, "project_id"), tokenUri);
        }
    }

    private static string? GetString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}
