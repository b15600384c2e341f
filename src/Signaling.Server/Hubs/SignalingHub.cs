using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Relay;
using Signaling.Server.Auth;
using Signaling.Server.Realtime;

namespace Signaling.Server.Hubs;

/// <summary>
/// SignalR at <c>/hubs/signaling</c>: the relay (<c>Join</c>, <c>Exchange</c>, <c>Leave</c>, same rules and the same
/// <c>exchange</c>/<c>leave</c> events as Socket.IO, in the same rooms) and invitation events for authenticated users.
/// </summary>
public sealed class SignalingHub(RelayService relay, UserSessions users, HubConnections connections, IOptions<AuthOptions> auth, IHubContext<SignalingHub> hubContext, ILogger<SignalingHub> logger) : Hub
{
    /// <inheritdoc />
    public override async Task OnConnectedAsync()
    {
        var userId = Context.User?.GetUserId();
        if (userId is null && !auth.Value.AllowAnonymousRelay)
        {
            Context.Abort();
            return;
        }

        connections.Add(Context);
        var peer = new SignalRRelayPeer(Context.ConnectionId, hubContext, logger);
        await relay.ConnectAsync(peer);
        if (userId is not null)
        {
            var deviceId = Context.GetHttpContext()?.Request.Query["deviceId"].ToString();
            Context.Items["user"] = userId;
            await users.ConnectedAsync(userId, Context.ConnectionId, string.IsNullOrEmpty(deviceId) || deviceId.Length > 256 ? null : deviceId);
        }
    }

    /// <inheritdoc />
    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(Context.ConnectionId);
        if (Context.Items.TryGetValue("user", out var value) && value is string userId)
        {
            await users.DisconnectedAsync(userId, Context.ConnectionId);
        }

        await relay.DisconnectAsync(Context.ConnectionId);
    }

    /// <summary>Joins a room; returns the ids already in it, or <c>{error}</c>.</summary>
    public async Task<object?> Join(JsonElement roomId)
    {
        var (members, error) = await relay.JoinAsync(Context.ConnectionId, roomId);
        return error is null ? members : new { error };
    }

    /// <summary>Relays <c>{to, …}</c> to that peer as <c>exchange</c> with <c>from</c>; returns null or <c>{error}</c>.</summary>
    public async Task<object?> Exchange(JsonElement payload)
    {
        var error = await relay.ExchangeAsync(Context.ConnectionId, payload);
        return error is null ? null : new { error };
    }

    /// <summary>Leaves a room; the rest of it gets <c>leave</c>.</summary>
    public async Task<object?> Leave(JsonElement roomId)
    {
        var error = await relay.LeaveAsync(Context.ConnectionId, roomId);
        return error is null ? null : new { error };
    }
}

/// <summary>A SignalR connection as a relay peer: events are sent with the argument as raw JSON.</summary>
internal sealed partial class SignalRRelayPeer(string connectionId, IHubContext<SignalingHub> hub, ILogger logger) : IRelayPeer
{
    public string Id => connectionId;

    public bool Deliver(in RelayMessage message)
    {
        using var document = JsonDocument.Parse(message.Argument);
        var task = hub.Clients.Client(connectionId).SendAsync(message.Event, document.RootElement.Clone());
        if (!task.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(task, message.Event);
        }

        return true;
    }

    private async Task ObserveAsync(Task task, string name)
    {
        try
        {
            await task;
        }
        catch (Exception ex)
        {
            Log.SendFailed(logger, name, connectionId, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Sending {Event} to SignalR connection {ConnectionId} failed")]
        public static partial void SendFailed(ILogger logger, string @event, string connectionId, Exception exception);
    }
}
