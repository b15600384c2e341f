using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.EngineIO.Protocol;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.SocketIO.SocketIO;

/// <summary>
/// The Socket.IO side of one Engine.IO session ("client" in socket.io): its sockets per namespace and a
/// binary packet being assembled.
/// </summary>
internal sealed partial class SocketIOConnection(SocketIOServer server, EngineSession session)
{
    private readonly Dictionary<string, SocketIOSocket> _sockets = new(StringComparer.Ordinal);
    private PendingBinary? _pending;

    public EngineSession Session { get; } = session;

    /// <summary>Protocol v4 (socket.io 2) for Engine.IO 3 clients, v5 for Engine.IO 4.</summary>
    public bool IsLegacy => Session.Protocol == 3;

    public async ValueTask OnMessageAsync(EnginePacket message)
    {
        if (message.IsBinary)
        {
            if (_pending is null)
            {
                Fail("unexpected binary attachment");
                return;
            }

            _pending.Attachments.Add(message.Data.ToArray());
            if (_pending.Attachments.Count == _pending.Header.Attachments)
            {
                var pending = _pending;
                _pending = null;
                await DispatchAsync(pending.Header, pending.Text, pending.Attachments);
            }

            return;
        }

        if (_pending is not null)
        {
            Fail("text packet while binary attachments were expected");
            return;
        }

        if (!SocketPacketCodec.TryParseHeader(message.Data.Span, out var header, out var error))
        {
            Fail(error!);
            return;
        }

        if (header.Attachments > 0)
        {
            _pending = new PendingBinary(header, message.Data.ToArray());
            return;
        }

        await DispatchAsync(header, message.Data, []);
    }

    public ValueTask ConnectDefaultAsync() => ConnectAsync("/", null, Session.Handshake.Query);

    public void RemoveSocket(SocketIOSocket socket, string reason)
    {
        lock (_sockets)
        {
            if (!_sockets.Remove(socket.Namespace.Name))
            {
                return;
            }
        }

        _ = CleanUpAsync(socket, reason);
    }

    public void OnClose(string reason)
    {
        SocketIOSocket[] sockets;
        lock (_sockets)
        {
            sockets = [.. _sockets.Values];
            _sockets.Clear();
        }

        foreach (var socket in sockets)
        {
            _ = CleanUpAsync(socket, reason);
        }
    }

    private async Task CleanUpAsync(SocketIOSocket socket, string reason)
    {
        if (!socket.MarkDisconnected())
        {
            return;
        }

        socket.Namespace.Remove(socket);
        try
        {
            await socket.Namespace.RaiseDisconnectedAsync(socket, reason);
            await socket.Namespace.Adapter.RemoveSocketAsync(socket.Id);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(server.Logger, socket.Id, "disconnect", ex);
        }
    }

    private async ValueTask DispatchAsync(SocketPacketHeader header, ReadOnlyMemory<byte> text, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        JsonDocument? document = null;
        try
        {
            var payloadBytes = text[header.PayloadOffset..];
            if (!payloadBytes.IsEmpty)
            {
                try
                {
                    document = JsonDocument.Parse(payloadBytes, new JsonDocumentOptions { MaxDepth = server.Options.MaxJsonDepth });
                }
                catch (JsonException)
                {
                    Fail("invalid JSON payload");
                    return;
                }
            }

            var payload = document?.RootElement;
            if (!SocketPacketCodec.IsPayloadValid(header.Type, payload))
            {
                Fail("invalid payload for packet type");
                return;
            }

            // Protocol v5 (socket.io 3+) treats a CONNECT to a connected namespace, or any other packet for a
            // namespace the client has not joined, as a protocol error; socket.io 2 ignored such packets.
            if (!IsLegacy && header.Type != SocketPacketType.ConnectError)
            {
                var connected = TryGetSocket(header.Namespace, out _);
                if (connected && header.Type == SocketPacketType.Connect)
                {
                    Fail("namespace already connected");
                    return;
                }

                if (!connected && header.Type != SocketPacketType.Connect)
                {
                    Fail("packet for a namespace not connected");
                    return;
                }
            }

            switch (header.Type)
            {
                case SocketPacketType.Connect:
                    var nsp = header.Namespace;
                    var query = Session.Handshake.Query;
                    var q = nsp.IndexOf('?', StringComparison.Ordinal);
                    if (q >= 0)
                    {
                        // socket.io 2 clients put a namespace query after the name: "/admin?token=x".
                        query = MergeQuery(query, nsp[(q + 1)..]);
                        nsp = nsp[..q];
                    }

                    await ConnectAsync(nsp, payload?.Clone(), query);
                    break;
                case SocketPacketType.Disconnect:
                    if (TryGetSocket(header.Namespace, out var leaving))
                    {
                        RemoveSocket(leaving, "client namespace disconnect");
                    }

                    break;
                case SocketPacketType.Event:
                case SocketPacketType.BinaryEvent:
                    if (TryGetSocket(header.Namespace, out var socket))
                    {
                        await OnEventAsync(socket, payload!.Value, header.AckId, attachments);
                    }

                    break;
                case SocketPacketType.Ack:
                case SocketPacketType.BinaryAck:
                    if (header.HasAckId && TryGetSocket(header.Namespace, out var acked))
                    {
                        var args = payload!.Value.EnumerateArray().Select(e => e.Clone()).ToArray();
                        acked.CompleteAck(header.AckId, new SocketIOAck(args, attachments));
                    }

                    break;
                default:
                    // CONNECT_ERROR is server→client only.
                    Fail("unexpected packet type from client");
                    break;
            }
        }
        finally
        {
            document?.Dispose();
        }
    }

    private async ValueTask OnEventAsync(SocketIOSocket socket, JsonElement array, long ackId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var first = array[0];
        var name = first.ValueKind == JsonValueKind.String ? first.GetString()! : first.GetRawText();
        var e = new SocketIOEvent(socket, name, array, ackId, attachments);
        if (!socket.Namespace.TryGetHandler(name, out var handler))
        {
            return;
        }

        try
        {
            await handler(socket, e);
        }
        catch (Exception ex)
        {
            // A faulty handler must not take the connection down; the client learns through its ack.
            Log.HandlerFailed(server.Logger, socket.Id, name, ex);
            e.Ack(new { error = new { code = "internal_error", message = "The server could not handle this event." } });
        }
    }

    private async ValueTask ConnectAsync(string name, JsonElement? auth, IReadOnlyDictionary<string, string> query)
    {
        if (!server.TryGetNamespace(name, out var nsp))
        {
            SendConnectError(name, "Invalid namespace", null);
            return;
        }

        lock (_sockets)
        {
            if (_sockets.ContainsKey(name))
            {
                return;
            }
        }

        var context = new SocketIOConnectContext(nsp, Session, auth, query);
        foreach (var middleware in nsp.Middlewares)
        {
            await middleware(context);
            if (context.ErrorMessage is not null)
            {
                SendConnectError(name, context.ErrorMessage, context.ErrorData);
                return;
            }
        }

        if (Session.IsClosed)
        {
            return;
        }

        var id = IsLegacy ? (name == "/" ? Session.Id : $"{name}#{Session.Id}") : RandomIds.New();
        var socket = new SocketIOSocket(id, nsp, this, auth, query);
        foreach (var (key, value) in context.Items)
        {
            socket.Items[key] = value;
        }

        lock (_sockets)
        {
            _sockets[name] = socket;
        }

        nsp.Add(socket);
        Session.Confirm();
        var connect = IsLegacy
            ? SocketPacketWriter.Build<object?>(SocketPacketType.Connect, name, -1, 0, null, null)
            : SocketPacketWriter.Build(SocketPacketType.Connect, name, -1, 0, id, static (json, sid) =>
            {
                json.WriteStartObject();
                json.WriteString("sid"u8, sid);
                json.WriteEndObject();
            });
        Session.Send(EngineFrame.Text(connect));
        server.Metrics.SocketConnected(name);
        try
        {
            await nsp.RaiseConnectedAsync(socket);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(server.Logger, socket.Id, "connection", ex);
        }
    }

    private void SendConnectError(string nsp, string message, object? data)
    {
        var legacy = IsLegacy;
        var options = server.Options.JsonSerializerOptions;
        var packet = SocketPacketWriter.Build(SocketPacketType.ConnectError, nsp, -1, 0, (message, data, legacy, options), static (json, s) =>
        {
            if (s.legacy)
            {
                // Protocol v4 sends the error as a bare value.
                if (s.data is null)
                {
                    json.WriteStringValue(s.message);
                }
                else
                {
                    JsonSerializer.Serialize(json, s.data, s.data.GetType(), s.options);
                }

                return;
            }

            json.WriteStartObject();
            json.WriteString("message"u8, s.message);
            if (s.data is not null)
            {
                json.WritePropertyName("data"u8);
                JsonSerializer.Serialize(json, s.data, s.data.GetType(), s.options);
            }

            json.WriteEndObject();
        });
        Session.Send(EngineFrame.Text(packet));
    }

    private bool TryGetSocket(string nsp, out SocketIOSocket socket)
    {
        lock (_sockets)
        {
            return _sockets.TryGetValue(nsp, out socket!);
        }
    }

    private void Fail(string error)
    {
        Log.ProtocolError(server.Logger, Session.Id, error);
        server.Metrics.ProtocolError();
        Session.Close("parse error");
    }

    private static Dictionary<string, string> MergeQuery(IReadOnlyDictionary<string, string> query, string extra)
    {
        var merged = new Dictionary<string, string>(query, StringComparer.Ordinal);
        foreach (var pair in extra.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            merged[key] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
        }

        return merged;
    }

    private sealed record PendingBinary(SocketPacketHeader Header, byte[] Text)
    {
        public List<ReadOnlyMemory<byte>> Attachments { get; } = [];
    }

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Information, "Socket.IO protocol error on session {Sid}: {Error}; closing")]
        public static partial void ProtocolError(ILogger logger, string sid, string error);

        [LoggerMessage(31, LogLevel.Error, "Socket.IO handler for {Event} failed on socket {SocketId}")]
        public static partial void HandlerFailed(ILogger logger, string socketId, string @event, Exception exception);
    }
}
