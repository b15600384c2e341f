using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Signaling.SocketIO.SocketIO.Protocol;

/// <summary>Socket.IO packet types; the numeric value is the digit sent on the wire.</summary>
public enum SocketPacketType : byte
{
    Connect = 0,
    Disconnect = 1,
    Event = 2,
    Ack = 3,
    ConnectError = 4,
    BinaryEvent = 5,
    BinaryAck = 6,
}

/// <summary>The parsed head of a Socket.IO packet; the JSON payload starts at <see cref="PayloadOffset"/>.</summary>
public readonly record struct SocketPacketHeader(SocketPacketType Type, string Namespace, long AckId, int Attachments, int PayloadOffset)
{
    /// <summary>True when the packet carries an ack id.</summary>
    public bool HasAckId => AckId >= 0;
}

/// <summary>
/// Pure Socket.IO packet codec (protocol revisions 4 and 5 share the text form):
/// <c>&lt;type&gt;[&lt;attachments&gt;-][&lt;/nsp&gt;,][&lt;ack id&gt;][&lt;json&gt;]</c>.
/// </summary>
public static class SocketPacketCodec
{
    /// <summary>Most binary attachments one packet may announce.</summary>
    public const int MaxAttachments = 64;

    private const int MaxAckIdDigits = 15;
    private const int MaxNamespaceLength = 256;

    /// <summary>Parses the head of a packet (the Engine.IO message data).</summary>
    /// <returns>False with <paramref name="error"/> when the head is malformed.</returns>
    public static bool TryParseHeader(ReadOnlySpan<byte> data, out SocketPacketHeader header, out string? error)
    {
        header = default;
        if (data.IsEmpty || data[0] < (byte)'0' || data[0] > (byte)'6')
        {
            error = "unknown packet type";
            return false;
        }

        var type = (SocketPacketType)(data[0] - '0');
        var i = 1;
        var attachments = 0;
        if (type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck)
        {
            var start = i;
            while (i < data.Length && IsDigit(data[i]))
            {
                attachments = (attachments * 10) + (data[i] - '0');
                if (i - start > 3)
                {
                    error = "too many attachments";
                    return false;
                }

                i++;
            }

            if (i == start || i >= data.Length || data[i] != (byte)'-')
            {
                error = "missing attachment count";
                return false;
            }

            if (attachments > MaxAttachments)
            {
                error = "too many attachments";
                return false;
            }

            i++;
        }

        var nsp = "/";
        if (i < data.Length && data[i] == (byte)'/')
        {
            var comma = data[i..].IndexOf((byte)',');
            var end = comma < 0 ? data.Length : i + comma;
            if (end - i > MaxNamespaceLength)
            {
                error = "namespace too long";
                return false;
            }

            nsp = Encoding.UTF8.GetString(data[i..end]);
            i = comma < 0 ? end : end + 1;
        }

        long ackId = -1;
        if (i < data.Length && IsDigit(data[i]))
        {
            var start = i;
            ackId = 0;
            while (i < data.Length && IsDigit(data[i]))
            {
                if (i - start >= MaxAckIdDigits)
                {
                    error = "ack id too long";
                    return false;
                }

                ackId = (ackId * 10) + (data[i] - '0');
                i++;
            }
        }

        header = new SocketPacketHeader(type, nsp, ackId, attachments, i);
        error = null;
        return true;
    }

    /// <summary>
    /// Checks that the payload has the shape its type requires: an array starting with a string event name for
    /// events, an array for acks, an object (or nothing) for CONNECT, nothing for DISCONNECT.
    /// </summary>
    public static bool IsPayloadValid(SocketPacketType type, JsonElement? payload) => type switch
    {
        SocketPacketType.Connect => payload is null || payload.Value.ValueKind == JsonValueKind.Object,
        SocketPacketType.Disconnect => payload is null,
        SocketPacketType.Event or SocketPacketType.BinaryEvent =>
            payload is { ValueKind: JsonValueKind.Array } p && p.GetArrayLength() > 0 &&
            p[0].ValueKind is JsonValueKind.String or JsonValueKind.Number,
        SocketPacketType.Ack or SocketPacketType.BinaryAck => payload is { ValueKind: JsonValueKind.Array },
        SocketPacketType.ConnectError => payload is { ValueKind: JsonValueKind.Object or JsonValueKind.String },
        _ => false,
    };

    /// <summary>Writes an encoded packet (Engine.IO message type digit included) into <paramref name="output"/>.</summary>
    /// <param name="output">Receives the bytes.</param>
    /// <param name="type">The packet type.</param>
    /// <param name="nsp">The namespace; <c>/</c> is left out.</param>
    /// <param name="ackId">The ack id, or -1.</param>
    /// <param name="attachments">The number of binary attachments for binary types.</param>
    public static void WriteHead(IBufferWriter<byte> output, SocketPacketType type, string nsp, long ackId, int attachments)
    {
        var span = output.GetSpan(2);
        span[0] = (byte)'4';
        span[1] = (byte)('0' + (byte)type);
        output.Advance(2);
        if (type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck)
        {
            WriteNumber(output, attachments);
            output.Write("-"u8);
        }

        if (nsp != "/")
        {
            var bytes = output.GetSpan(Encoding.UTF8.GetMaxByteCount(nsp.Length) + 1);
            var n = Encoding.UTF8.GetBytes(nsp, bytes);
            bytes[n] = (byte)',';
            output.Advance(n + 1);
        }

        if (ackId >= 0)
        {
            WriteNumber(output, ackId);
        }
    }

    private static void WriteNumber(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        output.Advance(written);
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
