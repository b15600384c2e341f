using System.Text.Json;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.SocketIO.SocketIO;

/// <summary>
/// An event received from a client. Its JSON is only valid while the handler runs; clone what you keep.
/// Binary arguments appear as <c>{"_placeholder":true,"num":n}</c> objects, resolved with <see cref="GetBinary"/>.
/// </summary>
public sealed class SocketIOEvent
{
    private readonly JsonElement _array;
    private readonly SocketIOSocket _socket;
    private readonly long _ackId;
    private int _acked;

    internal SocketIOEvent(SocketIOSocket socket, string name, JsonElement array, long ackId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        _socket = socket;
        Name = name;
        _array = array;
        _ackId = ackId;
        Attachments = attachments;
    }

    /// <summary>The event name.</summary>
    public string Name { get; }

    /// <summary>Number of arguments after the event name.</summary>
    public int ArgumentCount => _array.GetArrayLength() - 1;

    /// <summary>The binary attachments, in placeholder order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; }

    /// <summary>True when the client asked for an acknowledgement.</summary>
    public bool HasAck => _ackId >= 0;

    /// <summary>True once the ack was sent.</summary>
    public bool IsAcknowledged => Volatile.Read(ref _acked) == 1;

    /// <summary>Argument <paramref name="index"/> (0 is the first after the name), or an undefined element when absent.</summary>
    public JsonElement this[int index] => index >= 0 && index < ArgumentCount ? _array[index + 1] : default;

    /// <summary>All arguments after the name.</summary>
    public IReadOnlyList<JsonElement> Arguments => [.. _array.EnumerateArray().Skip(1)];

    /// <summary>The attachment a placeholder argument refers to, or null when it is not a valid placeholder.</summary>
    public ReadOnlyMemory<byte>? GetBinary(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object &&
            element.TryGetProperty("_placeholder"u8, out var placeholder) && placeholder.ValueKind == JsonValueKind.True &&
            element.TryGetProperty("num"u8, out var num) && num.TryGetInt32(out var index) &&
            index >= 0 && index < Attachments.Count)
        {
            return Attachments[index];
        }

        return null;
    }

    /// <summary>Sends the acknowledgement with these arguments; only the first call has an effect.</summary>
    public bool Ack(params ReadOnlySpan<object?> args)
    {
        if (!HasAck || Interlocked.Exchange(ref _acked, 1) == 1)
        {
            return false;
        }

        return _socket.SendPacket(SocketPacketWriter.Ack(_socket.Namespace.Name, _ackId, args, _socket.Namespace.Server.Options.JsonSerializerOptions));
    }

    /// <summary>Acknowledges with raw JSON arguments and the attachments their placeholders refer to.</summary>
    public bool AckRaw(IReadOnlyList<JsonElement> args, IReadOnlyList<ReadOnlyMemory<byte>>? attachments = null)
    {
        if (!HasAck || Interlocked.Exchange(ref _acked, 1) == 1)
        {
            return false;
        }

        return _socket.SendPacket(SocketPacketWriter.RawEvent(_socket.Namespace.Name, null, args, attachments, _ackId, isAck: true));
    }
}

/// <summary>The arguments of an acknowledgement the client sent back.</summary>
/// <param name="Arguments">The ack's arguments (cloned, safe to keep).</param>
/// <param name="Attachments">Binary attachments referred to by placeholders.</param>
public sealed record SocketIOAck(IReadOnlyList<JsonElement> Arguments, IReadOnlyList<ReadOnlyMemory<byte>> Attachments);

/// <summary>What a connect middleware sees, and how it refuses a connection.</summary>
public sealed class SocketIOConnectContext
{
    internal SocketIOConnectContext(SocketIONamespace nsp, EngineIO.EngineSession session, JsonElement? auth, IReadOnlyDictionary<string, string> query)
    {
        Namespace = nsp;
        Session = session;
        Auth = auth;
        Query = query;
    }

    /// <summary>The namespace being joined.</summary>
    public SocketIONamespace Namespace { get; }

    /// <summary>The Engine.IO session (handshake query, headers, user).</summary>
    public EngineIO.EngineSession Session { get; }

    /// <summary>The CONNECT packet's auth payload (protocol v5 clients), or null.</summary>
    public JsonElement? Auth { get; }

    /// <summary>The handshake query, merged with a v4 client's namespace query.</summary>
    public IReadOnlyDictionary<string, string> Query { get; }

    /// <summary>Values for the socket, copied into <see cref="SocketIOSocket.Items"/> on success.</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>Set by <see cref="Reject"/>.</summary>
    public string? ErrorMessage { get; private set; }

    /// <summary>Set by <see cref="Reject"/>.</summary>
    public object? ErrorData { get; private set; }

    /// <summary>Refuses the connection: the client gets CONNECT_ERROR with this message and data.</summary>
    public void Reject(string message, object? data = null)
    {
        ErrorMessage = message;
        ErrorData = data;
    }
}
