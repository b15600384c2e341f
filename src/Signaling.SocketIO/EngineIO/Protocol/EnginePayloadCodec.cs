using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Signaling.SocketIO.EngineIO.Protocol;

/// <summary>
/// Encodes and decodes Engine.IO packets for one protocol revision: HTTP long-polling payloads and
/// WebSocket frames. Implementations are pure and stateless; the session picks one at handshake.
/// </summary>
public abstract class EnginePayloadCodec
{
    private protected const string TextContentType = "text/plain; charset=UTF-8";
    private protected const string BinaryContentType = "application/octet-stream";

    /// <summary>The Engine.IO protocol revision (3 or 4).</summary>
    public abstract int Protocol { get; }

    /// <summary>The codec for a protocol revision.</summary>
    public static EnginePayloadCodec For(int protocol) => protocol == 3 ? EngineIO3Codec.Instance : EngineIO4Codec.Instance;

    /// <summary>Decodes one WebSocket message into a packet.</summary>
    /// <returns>False with <paramref name="error"/> set when the frame is malformed.</returns>
    public abstract bool TryDecodeFrame(ReadOnlyMemory<byte> frame, bool isBinary, out EnginePacket packet, out string? error);

    /// <summary>The bytes of a binary message as sent in a WebSocket frame.</summary>
    /// <remarks>Engine.IO 3 prefixes binary frames with the packet type byte; 4 sends the data alone.</remarks>
    public abstract ReadOnlyMemory<byte> EncodeBinaryFrame(ReadOnlyMemory<byte> data);

    /// <summary>Decodes a long-polling request body into packets.</summary>
    /// <param name="body">The whole request body.</param>
    /// <param name="binaryContent">True when the body was sent as <c>application/octet-stream</c>.</param>
    /// <param name="packets">Receives the packets; their data points into <paramref name="body"/>.</param>
    /// <param name="error">Why the payload is malformed.</param>
    public abstract bool TryDecodePayload(ReadOnlyMemory<byte> body, bool binaryContent, List<EnginePacket> packets, out string? error);

    /// <summary>Encodes queued messages as one long-polling response body.</summary>
    /// <param name="messages">The messages, in order.</param>
    /// <param name="supportsBinary">False when the client asked for base64 (<c>b64=1</c>).</param>
    /// <param name="output">Receives the body.</param>
    /// <returns>The response content type.</returns>
    public abstract string EncodePayload(IReadOnlyList<OutboundMessage> messages, bool supportsBinary, IBufferWriter<byte> output);

    private protected static bool TryDecodeTextPacket(ReadOnlyMemory<byte> text, out EnginePacket packet, out string? error)
    {
        packet = default;
        if (text.IsEmpty)
        {
            error = "empty packet";
            return false;
        }

        var type = text.Span[0] - (byte)'0';
        if (type is < 0 or > 6)
        {
            error = "unknown packet type";
            return false;
        }

        packet = new EnginePacket((EnginePacketType)type, text[1..], isBinary: false);
        error = null;
        return true;
    }

    private protected static bool TryDecodeBase64(ReadOnlySpan<byte> base64, out byte[] data)
    {
        data = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
        if (Base64.DecodeFromUtf8(base64, data, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }

        Array.Resize(ref data, written);
        return true;
    }

    private protected static void WriteBase64(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(Base64.GetMaxEncodedToUtf8Length(data.Length));
        Base64.EncodeToUtf8(data, span, out _, out var written);
        output.Advance(written);
    }

    private protected static void WriteAscii(string text, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(text.Length);
        var n = Encoding.ASCII.GetBytes(text, span);
        output.Advance(n);
    }

    private protected static void WriteNumber(long value, IBufferWriter<byte> output)
        => WriteAscii(value.ToString(CultureInfo.InvariantCulture), output);

    private protected static IEnumerable<EngineFrame> Expand(IReadOnlyList<OutboundMessage> messages)
    {
        foreach (var message in messages)
        {
            yield return message.Frame;
            if (message.Attachments is { } attachments)
            {
                foreach (var attachment in attachments)
                {
                    yield return EngineFrame.Binary(attachment);
                }
            }
        }
    }
}

/// <summary>Engine.IO protocol 4: packets joined by the record separator, binary as <c>b&lt;base64&gt;</c>.</summary>
public sealed class EngineIO4Codec : EnginePayloadCodec
{
    private const byte RecordSeparator = 0x1e;

    /// <summary>The shared instance.</summary>
    public static readonly EngineIO4Codec Instance = new();

    /// <inheritdoc />
    public override int Protocol => 4;

    /// <inheritdoc />
    public override bool TryDecodeFrame(ReadOnlyMemory<byte> frame, bool isBinary, out EnginePacket packet, out string? error)
    {
        if (isBinary)
        {
            packet = new EnginePacket(EnginePacketType.Message, frame, isBinary: true);
            error = null;
            return true;
        }

        return TryDecodeTextPacket(frame, out packet, out error);
    }

    /// <inheritdoc />
    public override ReadOnlyMemory<byte> EncodeBinaryFrame(ReadOnlyMemory<byte> data) => data;

    /// <inheritdoc />
    public override bool TryDecodePayload(ReadOnlyMemory<byte> body, bool binaryContent, List<EnginePacket> packets, out string? error)
    {
        error = null;
        if (body.IsEmpty)
        {
            error = "empty payload";
            return false;
        }

        var rest = body;
        while (true)
        {
            var end = rest.Span.IndexOf(RecordSeparator);
            var part = end < 0 ? rest : rest[..end];
            if (!part.IsEmpty && part.Span[0] == (byte)'b')
            {
                if (!TryDecodeBase64(part.Span[1..], out var data))
                {
                    error = "invalid base64 in binary packet";
                    return false;
                }

                packets.Add(new EnginePacket(EnginePacketType.Message, data, isBinary: true));
            }
            else if (TryDecodeTextPacket(part, out var packet, out error))
            {
                packets.Add(packet);
            }
            else
            {
                return false;
            }

            if (end < 0)
            {
                return true;
            }

            rest = rest[(end + 1)..];
        }
    }

    /// <inheritdoc />
    public override string EncodePayload(IReadOnlyList<OutboundMessage> messages, bool supportsBinary, IBufferWriter<byte> output)
    {
        var first = true;
        foreach (var frame in Expand(messages))
        {
            if (!first)
            {
                output.Write([RecordSeparator]);
            }

            first = false;
            if (frame.IsBinary)
            {
                output.Write("b"u8);
                WriteBase64(frame.Payload.Span, output);
            }
            else
            {
                output.Write(frame.Payload.Span);
            }
        }

        return TextContentType;
    }
}

/// <summary>
/// Engine.IO protocol 3: text payloads are <c>&lt;length&gt;:&lt;packet&gt;</c> with the length in UTF-16 code
/// units and binary as <c>b4&lt;base64&gt;</c>; XHR2 clients may use the binary framing
/// (type byte, length as digit bytes, 0xFF, data) where the length counts bytes.
/// </summary>
public sealed class EngineIO3Codec : EnginePayloadCodec
{
    private const int MaxLengthDigits = 310;

    /// <summary>The shared instance.</summary>
    public static readonly EngineIO3Codec Instance = new();

    /// <inheritdoc />
    public override int Protocol => 3;

    /// <inheritdoc />
    public override bool TryDecodeFrame(ReadOnlyMemory<byte> frame, bool isBinary, out EnginePacket packet, out string? error)
    {
        if (isBinary)
        {
            // Binary frames carry the packet type as their first byte.
            if (frame.IsEmpty || frame.Span[0] != (byte)EnginePacketType.Message)
            {
                packet = default;
                error = "binary frame without a message type byte";
                return false;
            }

            packet = new EnginePacket(EnginePacketType.Message, frame[1..], isBinary: true);
            error = null;
            return true;
        }

        return TryDecodeTextPacket(frame, out packet, out error);
    }

    /// <inheritdoc />
    public override ReadOnlyMemory<byte> EncodeBinaryFrame(ReadOnlyMemory<byte> data)
    {
        var bytes = new byte[data.Length + 1];
        bytes[0] = (byte)EnginePacketType.Message;
        data.Span.CopyTo(bytes.AsSpan(1));
        return bytes;
    }

    /// <inheritdoc />
    public override bool TryDecodePayload(ReadOnlyMemory<byte> body, bool binaryContent, List<EnginePacket> packets, out string? error)
    {
        if (body.IsEmpty)
        {
            error = "empty payload";
            return false;
        }

        // XHR2 clients send the binary framing; its first byte is 0 or 1, which no text payload starts with.
        return binaryContent || body.Span[0] <= 1
            ? TryDecodeBinaryPayload(body, packets, out error)
            : TryDecodeTextPayload(body, packets, out error);
    }

    private static bool TryDecodeTextPayload(ReadOnlyMemory<byte> body, List<EnginePacket> packets, out string? error)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body.Span);
        }
        catch (DecoderFallbackException)
        {
            error = "payload is not valid UTF-8";
            return false;
        }

        var position = 0;
        while (position < text.Length)
        {
            var colon = text.IndexOf(':', position);
            if (colon <= position || colon - position > MaxLengthDigits ||
                !int.TryParse(text.AsSpan(position, colon - position), NumberStyles.None, CultureInfo.InvariantCulture, out var length) ||
                length == 0 || length > text.Length - colon - 1)
            {
                error = "invalid length prefix";
                return false;
            }

            var packetText = text.AsSpan(colon + 1, length);
            position = colon + 1 + length;
            if (packetText[0] == 'b')
            {
                if (packetText.Length < 2 || packetText[1] != '4' ||
                    !TryDecodeBase64(Encoding.ASCII.GetBytes(packetText[2..].ToString()), out var data))
                {
                    error = "invalid base64 binary packet";
                    return false;
                }

                packets.Add(new EnginePacket(EnginePacketType.Message, data, isBinary: true));
                continue;
            }

            if (!TryDecodeTextPacket(Encoding.UTF8.GetBytes(packetText.ToString()), out var packet, out error))
            {
                return false;
            }

            packets.Add(packet);
        }

        error = null;
        return true;
    }

    private static bool TryDecodeBinaryPayload(ReadOnlyMemory<byte> body, List<EnginePacket> packets, out string? error)
    {
        var rest = body;
        while (!rest.IsEmpty)
        {
            var span = rest.Span;
            var isString = span[0] == 0;
            if (span[0] > 1)
            {
                error = "invalid binary payload type byte";
                return false;
            }

            long length = 0;
            var i = 1;
            for (; i < span.Length && span[i] != 0xff; i++)
            {
                if (span[i] > 9 || i > MaxLengthDigits || length > int.MaxValue)
                {
                    error = "invalid binary payload length";
                    return false;
                }

                length = (length * 10) + span[i];
            }

            if (i == 1 || i >= span.Length || length == 0 || length > span.Length - i - 1)
            {
                error = "invalid binary payload length";
                return false;
            }

            var data = rest.Slice(i + 1, (int)length);
            rest = rest[(i + 1 + (int)length)..];
            if (isString)
            {
                if (!TryDecodeTextPacket(data, out var packet, out error))
                {
                    return false;
                }

                packets.Add(packet);
            }
            else
            {
                if (data.Span[0] != (byte)EnginePacketType.Message)
                {
                    error = "binary packet is not a message";
                    return false;
                }

                packets.Add(new EnginePacket(EnginePacketType.Message, data[1..], isBinary: true));
            }
        }

        error = null;
        return true;
    }

    /// <inheritdoc />
    public override string EncodePayload(IReadOnlyList<OutboundMessage> messages, bool supportsBinary, IBufferWriter<byte> output)
    {
        var hasBinary = messages.Any(m => m.Attachments is { Length: > 0 } || m.Frame.IsBinary);
        if (supportsBinary && hasBinary)
        {
            foreach (var frame in Expand(messages))
            {
                var length = frame.IsBinary ? frame.Payload.Length + 1 : frame.Payload.Length;
                output.Write([(byte)(frame.IsBinary ? 1 : 0)]);
                foreach (var digit in length.ToString(CultureInfo.InvariantCulture))
                {
                    output.Write([(byte)(digit - '0')]);
                }

                output.Write([(byte)0xff]);
                if (frame.IsBinary)
                {
                    output.Write([(byte)EnginePacketType.Message]);
                }

                output.Write(frame.Payload.Span);
            }

            return BinaryContentType;
        }

        foreach (var frame in Expand(messages))
        {
            if (frame.IsBinary)
            {
                WriteNumber(2 + Base64.GetMaxEncodedToUtf8Length(frame.Payload.Length), output);
                output.Write(":b4"u8);
                WriteBase64(frame.Payload.Span, output);
            }
            else
            {
                WriteNumber(Encoding.UTF8.GetCharCount(frame.Payload.Span), output);
                output.Write(":"u8);
                output.Write(frame.Payload.Span);
            }
        }

        return TextContentType;
    }
}
