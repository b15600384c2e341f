using System.Text.Json;
using Signaling.SocketIO.SocketIO;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.SocketIO.Conformance;

/// <summary>The Socket.IO suite's test app, registered on <c>/</c> and <c>/custom</c>.</summary>
internal static class ConformanceHandlers
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    public static void Register(SocketIONamespace nsp)
    {
        // On connection: "auth" with the CONNECT payload, or {}.
        nsp.OnConnection(socket =>
        {
            socket.Emit("auth", socket.Auth ?? EmptyObject);
            return ValueTask.CompletedTask;
        });

        // "message" → "message-back" with the same arguments, binary attachments included.
        nsp.On("message", (socket, e) =>
        {
            socket.SendPacket(SocketPacketWriter.RawEvent(nsp.Name, "message-back", e.Arguments, e.Attachments, ackId: -1));
            return ValueTask.CompletedTask;
        });

        // "message-with-ack" → its ack with the same arguments.
        nsp.On("message-with-ack", (socket, e) =>
        {
            e.AckRaw(e.Arguments, e.Attachments);
            return ValueTask.CompletedTask;
        });
    }
}
