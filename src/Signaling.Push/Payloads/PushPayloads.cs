using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Signaling.Push.Payloads;

/// <summary>
/// Builds the JSON and data maps the devices receive. Oversized payloads are refused, never truncated: cutting
/// extendedData or pushConfig.payload would hand the app corrupt data.
/// </summary>
internal static class PushPayloads
{
    /// <summary>APNs limit for VoIP pushes, in bytes.</summary>
    public const int VoipLimit = 5120;

    /// <summary>APNs limit for other pushes, in bytes.</summary>
    public const int ApnsLimit = 4096;

    /// <summary>FCM limit for a message's data (keys and values), in bytes.</summary>
    public const int FcmDataLimit = 4096;

    // Push payloads are not HTML: keep non-ASCII text as UTF-8 instead of 6-byte \u escapes that eat the size limit.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public const string RingType = "invitation.ring";
    public const string CancelType = "invitation.cancel";

    /// <summary>The VoIP payload: type, invitationId, inviter, extendedData, deadline (unix seconds) and pushConfig.</summary>
    public static byte[] VoipRing(RingRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            WriteRingFields(json, request);
            json.WriteStartObject("pushConfig");
            WritePushConfig(json, request.PushConfig);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The iOS cancel: an alert when <paramref name="request"/> has texts, else a background push.</summary>
    public static byte[] ApnsCancel(CancelRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("aps");
            if (IsAlert(request))
            {
                json.WriteStartObject("alert");
                WriteIfNotNull(json, "title", request.PushConfig!.Title);
                WriteIfNotNull(json, "body", request.PushConfig.Content);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNumber("content-available", 1);
            }

            json.WriteEndObject();
            json.WriteString("type", CancelType);
            json.WriteString("invitationId", request.InvitationId);
            json.WriteString("reason", ToWire(request.Reason));
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>True when the iOS cancel is an alert (the request carries a title or content).</summary>
    public static bool IsAlert(CancelRequest request) =>
        !string.IsNullOrEmpty(request.PushConfig?.Title) || !string.IsNullOrEmpty(request.PushConfig?.Content);

    /// <summary>The Android ring data (string values): as the VoIP payload, with pushConfig as a JSON string.</summary>
    public static Dictionary<string, string> FcmRing(RingRequest request)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["type"] = RingType,
            ["invitationId"] = request.InvitationId,
            ["inviter"] = request.Inviter,
            ["deadline"] = request.Deadline.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (request.ExtendedData is not null)
        {
            data["extendedData"] = request.ExtendedData;
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            WritePushConfig(json, request.PushConfig);
            json.WriteEndObject();
        }

        data["pushConfig"] = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return data;
    }

    /// <summary>The Android cancel data.</summary>
    public static Dictionary<string, string> FcmCancel(CancelRequest request)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["type"] = CancelType,
            ["invitationId"] = request.InvitationId,
            ["reason"] = ToWire(request.Reason),
        };
        if (request.PushConfig?.Title is { } title)
        {
            data["title"] = title;
        }

        if (request.PushConfig?.Content is { } content)
        {
            data["content"] = content;
        }

        return data;
    }

    /// <summary>The size FCM counts against its limit: the UTF-8 bytes of all keys and values.</summary>
    public static int FcmDataSize(IReadOnlyDictionary<string, string> data)
    {
        var size = 0;
        foreach (var (key, value) in data)
        {
            size += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }

        return size;
    }

    public static string ToWire(CancelReason reason) => reason switch
    {
        CancelReason.Cancelled => "cancelled",
        CancelReason.Timeout => "timeout",
        CancelReason.AnsweredElsewhere => "answeredElsewhere",
        _ => "cancelled",
    };

    private static void WriteRingFields(Utf8JsonWriter json, RingRequest request)
    {
        json.WriteString("type", RingType);
        json.WriteString("invitationId", request.InvitationId);
        json.WriteString("inviter", request.Inviter);
        if (request.ExtendedData is null)
        {
            json.WriteNull("extendedData");
        }
        else
        {
            json.WriteString("extendedData", request.ExtendedData);
        }

        json.WriteNumber("deadline", request.Deadline.ToUnixTimeSeconds());
    }

    private static void WritePushConfig(Utf8JsonWriter json, PushConfig? config)
    {
        WriteIfNotNull(json, "title", config?.Title);
        WriteIfNotNull(json, "content", config?.Content);
        WriteIfNotNull(json, "payload", config?.Payload);
    }

    private static void WriteIfNotNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
