using Signaling.Rooms.Relay;
using Signaling.SocketIO.SocketIO;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.Server.Realtime;

/// <summary>The seed protocol's events on a Socket.IO namespace.</summary>
internal static class SocketIORelayHandlers
{
    public static void Register(SocketIONamespace nsp, RelayService relay)
    {
        nsp.OnConnection(socket => relay.ConnectAsync(new SocketIORelayPeer(socket)));
        nsp.OnDisconnect((socket, _) => relay.DisconnectAsync(socket.Id));

        nsp.On("join", async (socket, e) =>
        {
            var (members, error) = await relay.JoinAsync(socket.Id, e[0]);
            e.Ack(error is null ? (object?)members : new { error });
        });

        nsp.On("exchange", async (socket, e) =>
        {
            var error = await relay.ExchangeAsync(socket.Id, e[0]);
            if (e.HasAck)
            {
                e.Ack(error is null ? null : (object?)new { error });
            }
        });

        nsp.On("leave", async (socket, e) =>
        {
            var error = await relay.LeaveAsync(socket.Id, e[0]);
            if (e.HasAck)
            {
                e.Ack(error is null ? null : (object?)new { error });
            }
        });
    }
}

/// <summary>A Socket.IO socket as a relay peer.</summary>
internal sealed class SocketIORelayPeer(SocketIOSocket socket) : IRelayPeer
{
    public string Id => socket.Id;

    public bool Deliver(in RelayMessage message)
    {
        var name = message.Event switch
        {
            "exchange" => "\"exchange\""u8,
            "leave" => "\"leave\""u8,
            _ => System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(message.Event)),
        };
        return socket.SendPacket(SocketPacketWriter.RawSingleArgumentEvent(socket.Namespace.Name, name, message.Argument.Span));
    }
}
