using System.Text;
using Signaling.Rooms.Relay;

namespace Signaling.Rooms.Redis;

/// <summary>
/// The binary envelope of a relay message between nodes:
/// <c>[version=1][varint n][n bytes: to, UTF-8][varint m][m bytes: event, UTF-8][rest: argument]</c>.
/// A node drops envelopes of a version it does not know, so a rolling upgrade never misreads a message.
/// </summary>
internal static class RelayEnvelope
{
    public const byte Version = 1;

    public const int MaxPeerIdBytes = 4096;

    public const int MaxEventBytes = 256;

    public static byte[] Encode(string to, in RelayMessage message)
    {
        var toBytes = Encoding.UTF8.GetByteCount(to);
        var eventBytes = Encoding.UTF8.GetByteCount(message.Event);
        if (toBytes is 0 or > MaxPeerIdBytes)
        {
            throw new ArgumentException($"A peer id must be 1 to {MaxPeerIdBytes} UTF-8 bytes.", nameof(to));
        }

        if (eventBytes is 0 or > MaxEventBytes)
        {
            throw new ArgumentException($"An event name must be 1 to {MaxEventBytes} UTF-8 bytes.", nameof(message));
        }

        var buffer = new byte[1 + VarIntLength(toBytes) + toBytes + VarIntLength(eventBytes) + eventBytes + message.Argument.Length];
        var span = buffer.AsSpan();
        span[0] = Version;
        var at = 1;
        at += WriteVarInt(span[at..], toBytes);
        at += Encoding.UTF8.GetBytes(to, span[at..]);
        at += WriteVarInt(span[at..], eventBytes);
        at += Encoding.UTF8.GetBytes(message.Event, span[at..]);
        message.Argument.Span.CopyTo(span[at..]);
        return buffer;
    }

    /// <summary>Reads an envelope; false with a reason when it is not a well-formed version 1 envelope.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> envelope, out string to, out RelayMessage message, out string? error)
    {
        to = string.Empty;
        message = default;
        var span = envelope.Span;
        if (span.Length == 0)
        {
            error = "empty envelope";
            return false;
        }

        if (span[0] != Version)
        {
            error = $"unknown envelope version {span[0]}";
            return false;
        }

        var at = 1;
        if (!TryReadString(span, ref at, MaxPeerIdBytes, out to, out error) || !TryReadString(span, ref at, MaxEventBytes, out var name, out error))
        {
            to = string.Empty;
            return false;
        }

        message = new RelayMessage(name, envelope[at..]);
        error = null;
        return true;
    }

    private static bool TryReadString(ReadOnlySpan<byte> span, ref int at, int max, out string value, out string? error)
    {
        value = string.Empty;
        if (!TryReadVarInt(span, ref at, out var length) || length is 0 || length > max)
        {
            error = "bad length";
            return false;
        }

        if (span.Length - at < length)
        {
            error = "truncated envelope";
            return false;
        }

        try
        {
            value = StrictUtf8.GetString(span.Slice(at, length));
        }
        catch (DecoderFallbackException)
        {
            error = "invalid UTF-8";
            return false;
        }

        at += length;
        error = null;
        return true;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static int VarIntLength(int value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private static int WriteVarInt(Span<byte> span, int value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        return i;
    }

    private static bool TryReadVarInt(ReadOnlySpan<byte> span, ref int at, out int value)
    {
        value = 0;
        for (var shift = 0; shift < 21; shift += 7)
        {
            if (at >= span.Length)
            {
                return false;
            }

            var b = span[at++];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        // More than three bytes: longer than any limit here.
        return false;
    }
}
