using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Signaling.TestKit.PushStandIns;

/// <summary>A compact JWS split into its parts, for the stand-ins to check.</summary>
public sealed record Jwt(JsonElement Header, JsonElement Claims, byte[] SigningInput, byte[] Signature, string Raw)
{
    public static bool TryParse(string? raw, out Jwt jwt)
    {
        jwt = null!;
        var parts = raw?.Split('.');
        if (parts is not { Length: 3 })
        {
            return false;
        }

        try
        {
            var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement.Clone();
            var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.Clone();
            jwt = new Jwt(header, claims, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), raw!);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }

    public string? HeaderString(string name) => Header.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public string? ClaimString(string name) => Claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public long? ClaimNumber(string name) => Claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
}
