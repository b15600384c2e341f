using System.Text.Json;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Relay;
using Signaling.Server.Auth;
using Signaling.SocketIO.SocketIO;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.Server.Realtime;

/// <summary>Authentication, the seed protocol's events and invitation events on a Socket.IO namespace.</summary>
internal static class SocketIORelayHandlers
{
    private const string UserIdItem = "userId";
    private const string DeviceIdItem = "deviceId";

    public static void Register(SocketIONamespace nsp, IServiceProvider services)
    {
        var relay = services.GetRequiredService<RelayService>();
        var users = services.GetRequiredService<UserSessions>();
        var validator = services.GetRequiredService<SocketTokenValidator>();
        var auth = services.GetRequiredService<IOptions<AuthOptions>>().Value;
        var developmentUsers = services.GetRequiredService<DevelopmentUsers>().Enabled;

        nsp.Use(context => AuthenticateAsync(context, validator, auth, developmentUsers));

        nsp.OnConnection(async socket =>
        {
            var peer = new SocketIORelayPeer(socket);
            await relay.ConnectAsync(peer);
            if (socket.TryGetItem(UserIdItem, out var user) && user is string userId)
            {
                socket.TryGetItem(DeviceIdItem, out var device);
                await users.ConnectedAsync(userId, socket.Id, device as string);
            }
        });

        nsp.OnDisconnect(async (socket, _) =>
        {
            if (socket.TryGetItem(UserIdItem, out var user) && user is string userId)
            {
                await users.DisconnectedAsync(userId, socket.Id);
            }

            await relay.DisconnectAsync(socket.Id);
        });

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

    /// <summary>
    /// The token comes from the CONNECT auth payload (<c>{token}</c>, socket.io-client 3+), the <c>token</c> query
    /// parameter (older clients) or an <c>Authorization: Bearer</c> header; the device from <c>deviceId</c> in either.
    /// </summary>
    private static async ValueTask AuthenticateAsync(SocketIOConnectContext context, SocketTokenValidator validator, AuthOptions auth, bool developmentUsers)
    {
        var token = Field(context, "token");
        if (token is null && context.Session.Handshake.Authorization is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }

        string? userId = null;
        if (token is not null)
        {
            userId = await validator.ValidateAsync(token);
            if (userId is null)
            {
                context.Reject("unauthorized", new { code = "unauthenticated", message = "The token is invalid or expired." });
                return;
            }
        }
        else if (developmentUsers && Field(context, "userId") is { Length: > 0 and <= 256 } developmentUser)
        {
            userId = developmentUser;
        }
        else if (!auth.AllowAnonymousRelay)
        {
            context.Reject("unauthorized", new { code = "unauthenticated", message = "A token is required." });
            return;
        }

        if (userId is not null)
        {
            context.Items[UserIdItem] = userId;
            if (Field(context, "deviceId") is { Length: > 0 and <= 256 } deviceId)
            {
                context.Items[DeviceIdItem] = deviceId;
            }
        }
    }

    private static string? Field(SocketIOConnectContext context, string name)
    {
        if (context.Auth is { ValueKind: JsonValueKind.Object } auth && auth.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        return context.Query.TryGetValue(name, out var query) && query.Length > 0 ? query : null;
    }
}

/// <summary>A Socket.IO socket as a relay peer and event target.</summary>
internal sealed class SocketIORelayPeer(SocketIOSocket socket) : IRelayPeer
{
    public string Id => socket.Id;

    public bool Deliver(in RelayMessage message)
    {
        var name = message.Event switch
        {
            "exchange" => "\"exchange\""u8,
            "leave" => "\"leave\""u8,
            _ => JsonSerializer.SerializeToUtf8Bytes(message.Event),
        };
        return socket.SendPacket(SocketPacketWriter.RawSingleArgumentEvent(socket.Namespace.Name, name, message.Argument.Span));
    }
}
