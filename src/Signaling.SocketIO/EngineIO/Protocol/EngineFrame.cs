namespace Signaling.SocketIO.EngineIO.Protocol;

/// <summary>
/// One outgoing Engine.IO packet, encoded once and shared by every session it is sent to.
/// A text frame holds the whole packet, type digit included (<c>4hello</c>); a binary frame holds
/// the raw message bytes (binary frames are always of type message).
/// </summary>
public readonly struct EngineFrame
{
    private EngineFrame(ReadOnlyMemory<byte> payload, bool isBinary)
    {
        Payload = payload;
        IsBinary = isBinary;
    }

    /// <summary>The encoded packet: UTF-8 text with the type digit first, or raw binary data.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>True for a binary message.</summary>
    public bool IsBinary { get; }

    /// <summary>The packet type.</summary>
    public EnginePacketType Type => IsBinary ? EnginePacketType.Message : (EnginePacketType)(Payload.Span[0] - (byte)'0');

    /// <summary>A text frame from bytes that already start with the type digit.</summary>
    public static EngineFrame Text(ReadOnlyMemory<byte> encodedPacket)
    {
        if (encodedPacket.IsEmpty || encodedPacket.Span[0] < (byte)'0' || encodedPacket.Span[0] > (byte)'6')
        {
            throw new ArgumentException("A text frame starts with its packet type digit.", nameof(encodedPacket));
        }

        return new EngineFrame(encodedPacket, isBinary: false);
    }

    /// <summary>A binary message frame.</summary>
    public static EngineFrame Binary(ReadOnlyMemory<byte> data) => new(data, isBinary: true);

    /// <summary>A control packet without data (ping, pong, noop, close, upgrade).</summary>
    public static EngineFrame Control(EnginePacketType type) => new(ControlPayloads[(int)type], isBinary: false);

    private static readonly ReadOnlyMemory<byte>[] ControlPayloads =
        [.. Enumerable.Range(0, 7).Select(i => (ReadOnlyMemory<byte>)new[] { (byte)('0' + i) })];
}

/// <summary>
/// One item of a session's send queue: a frame and, for Socket.IO binary packets, the attachments that
/// must follow it with nothing in between.
/// </summary>
public readonly struct OutboundMessage(EngineFrame frame, ReadOnlyMemory<byte>[]? attachments = null)
{
    /// <summary>The first frame.</summary>
    public EngineFrame Frame { get; } = frame;

    /// <summary>Binary frames sent right after <see cref="Frame"/>, or null.</summary>
    public ReadOnlyMemory<byte>[]? Attachments { get; } = attachments;

    /// <summary>How many Engine.IO packets this item expands to.</summary>
    public int PacketCount => 1 + (Attachments?.Length ?? 0);
}

/// <summary>One decoded incoming Engine.IO packet. <see cref="Data"/> is only valid during the call that receives it.</summary>
public readonly struct EnginePacket(EnginePacketType type, ReadOnlyMemory<byte> data, bool isBinary)
{
    /// <summary>The packet type.</summary>
    public EnginePacketType Type { get; } = type;

    /// <summary>The data after the type: UTF-8 text, or raw bytes when <see cref="IsBinary"/>.</summary>
    public ReadOnlyMemory<byte> Data { get; } = data;

    /// <summary>True for a binary message.</summary>
    public bool IsBinary { get; } = isBinary;
}
