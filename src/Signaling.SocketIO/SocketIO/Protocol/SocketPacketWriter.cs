using System.Buffers;
using System.Text.Json;
using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.SocketIO.Protocol;

/// <summary>
/// Builds outgoing Socket.IO packets, encoded once (broadcasts share the bytes). Top-level
/// <c>byte[]</c> / <c>ReadOnlyMemory&lt;byte&gt;</c> arguments become binary attachments.
/// </summary>
public static class SocketPacketWriter
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_json;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>Writes JSON for one packet; <paramref name="writePayload"/> writes the payload after the head (or nothing).</summary>
    public static byte[] Build<TState>(SocketPacketType type, string nsp, long ackId, int attachments, TState state, Action<Utf8JsonWriter, TState>? writePayload)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        SocketPacketCodec.WriteHead(buffer, type, nsp, ackId, attachments);
        if (writePayload is not null)
        {
            var json = t_json ??= new Utf8JsonWriter(buffer, WriterOptions);
            json.Reset(buffer);
            writePayload(json, state);
            json.Flush();
        }

        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 64 * 1024)
        {
            t_buffer = null;
            t_json = null;
        }

        return bytes;
    }

    /// <summary>An EVENT (or BINARY_EVENT) packet; pass <paramref name="ackId"/> -1 when no ack is wanted.</summary>
    public static OutboundMessage Event(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options)
        => Arguments(SocketPacketType.Event, nsp, eventName, args, ackId, options);

    /// <summary>An ACK (or BINARY_ACK) packet.</summary>
    public static OutboundMessage Ack(string nsp, long ackId, ReadOnlySpan<object?> args, JsonSerializerOptions options)
        => Arguments(SocketPacketType.Ack, nsp, null, args, ackId, options);

    /// <summary>An EVENT whose arguments are raw JSON values (placeholders kept) with the attachments they refer to.</summary>
    public static OutboundMessage RawEvent(string nsp, string? eventName, IReadOnlyList<JsonElement> args, IReadOnlyList<ReadOnlyMemory<byte>>? attachments, long ackId, bool isAck = false)
    {
        var count = attachments?.Count ?? 0;
        var type = isAck
            ? (count > 0 ? SocketPacketType.BinaryAck : SocketPacketType.Ack)
            : (count > 0 ? SocketPacketType.BinaryEvent : SocketPacketType.Event);
        var text = Build(type, nsp, ackId, count, (eventName, args), static (json, s) =>
        {
            json.WriteStartArray();
            if (s.eventName is not null)
            {
                json.WriteStringValue(s.eventName);
            }

            foreach (var arg in s.args)
            {
                arg.WriteTo(json);
            }

            json.WriteEndArray();
        });
        return new OutboundMessage(EngineFrame.Text(text), count > 0 ? [.. attachments!] : null);
    }

    /// <summary>An EVENT with a single argument given as raw UTF-8 JSON (the relay's hot path).</summary>
    public static OutboundMessage RawSingleArgumentEvent(string nsp, ReadOnlySpan<byte> eventNameJson, ReadOnlySpan<byte> argumentJson)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        SocketPacketCodec.WriteHead(buffer, SocketPacketType.Event, nsp, -1, 0);
        buffer.Write("["u8);
        buffer.Write(eventNameJson);
        buffer.Write(","u8);
        buffer.Write(argumentJson);
        buffer.Write("]"u8);
        return new OutboundMessage(EngineFrame.Text(buffer.WrittenSpan.ToArray()));
    }

    private static OutboundMessage Arguments(SocketPacketType type, string nsp, string? eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options)
    {
        List<ReadOnlyMemory<byte>>? attachments = null;
        foreach (var arg in args)
        {
            if (AsBinary(arg) is { } binary)
            {
                (attachments ??= []).Add(binary);
            }
        }

        var binaryType = type == SocketPacketType.Event ? SocketPacketType.BinaryEvent : SocketPacketType.BinaryAck;
        var array = args.ToArray();
        var text = Build(attachments is null ? type : binaryType, nsp, ackId, attachments?.Count ?? 0, (eventName, array, options), static (json, s) =>
        {
            json.WriteStartArray();
            if (s.eventName is not null)
            {
                json.WriteStringValue(s.eventName);
            }

            var num = 0;
            foreach (var arg in s.array)
            {
                if (AsBinary(arg) is not null)
                {
                    json.WriteStartObject();
                    json.WriteBoolean("_placeholder"u8, true);
                    json.WriteNumber("num"u8, num++);
                    json.WriteEndObject();
                }
                else if (arg is JsonElement element)
                {
                    element.WriteTo(json);
                }
                else if (arg is null)
                {
                    json.WriteNullValue();
                }
                else
                {
                    JsonSerializer.Serialize(json, arg, arg.GetType(), s.options);
                }
            }

            json.WriteEndArray();
        });

        return new OutboundMessage(EngineFrame.Text(text), attachments?.ToArray());
    }

    private static ReadOnlyMemory<byte>? AsBinary(object? arg) => arg switch
    {
        byte[] bytes => bytes,
        ReadOnlyMemory<byte> memory => memory,
        Memory<byte> memory => memory,
        ArraySegment<byte> segment => segment,

        // Typed null: a bare null would convert to an empty ReadOnlyMemory and count as binary.
        _ => (ReadOnlyMemory<byte>?)null,
    };
}
