using System.Text.Json;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Presence;
using Signaling.Rooms.Relay;

namespace Signaling.Server.Realtime;

/// <summary>
/// Delivers invitation events to every live connection of the user concerned, on any node (Socket.IO and SignalR
/// alike, through the relay bus), marks an invitation received once one of the invitee's connections got it, and
/// hands the event to the push bridge for offline devices.
/// </summary>
internal sealed partial class RealtimeInvitationEventSink(
    IUserPresence presence, IRelayBus bus, InvitationPushBridge pushes, IServiceProvider services, ILogger<RealtimeInvitationEventSink> logger) : IInvitationEventSink
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public async Task PublishAsync(InvitationEvent invitationEvent, CancellationToken cancellationToken = default)
    {
        var connections = await presence.GetAsync(invitationEvent.Recipient, CancellationToken.None);
        var delivered = await DeliverAsync(invitationEvent, connections.Where(c => invitationEvent.ExceptDeviceId is null || c.DeviceId != invitationEvent.ExceptDeviceId));
        Log.Published(logger, invitationEvent.Name, invitationEvent.InvitationId, invitationEvent.Version, delivered);

        // Resolved lazily: the service publishes through this sink.
        var invitations = services.GetRequiredService<IInvitationService>();
        if (delivered > 0 && invitationEvent.Name == InvitationEventNames.IncomingInvitationReceived)
        {
            await invitations.MarkReceivedAsync(invitationEvent.InvitationId, invitationEvent.Recipient, CancellationToken.None);
        }

        try
        {
            await pushes.OnEventAsync(invitationEvent, connections, invitations);
        }
        catch (Exception ex)
        {
            Log.PushFailed(logger, invitationEvent.InvitationId, ex);
        }
    }

    /// <summary>Sends the event to the given connections; returns how many a node holds.</summary>
    public async Task<int> DeliverAsync(InvitationEvent invitationEvent, IEnumerable<PresenceEntry> targets)
    {
        RelayMessage? message = null;
        var delivered = 0;
        foreach (var target in targets)
        {
            message ??= new RelayMessage(invitationEvent.Name, JsonSerializer.SerializeToUtf8Bytes(invitationEvent, JsonOptions));
            if (await bus.SendAsync(target.PeerId, message.Value))
            {
                delivered++;
            }
        }

        return delivered;
    }

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Debug, "Invitation event {Name} for {InvitationId} v{Version} delivered to {Count} connections")]
        public static partial void Published(ILogger logger, string name, string invitationId, long version, int count);

        [LoggerMessage(201, LogLevel.Error, "Queuing pushes for invitation {InvitationId} failed")]
        public static partial void PushFailed(ILogger logger, string invitationId, Exception exception);
    }
}

/// <summary>Registers authenticated connections and tells a new one at once about invitations still ringing for it.</summary>
public sealed class UserSessions(IUserPresence presence, IInvitationService invitations, IServiceProvider services)
{
    /// <summary>A user's connection arrived: record it, then deliver what is ringing for them.</summary>
    public async Task ConnectedAsync(string userId, string peerId, string? deviceId, CancellationToken cancellationToken = default)
    {
        await presence.AddAsync(userId, peerId, deviceId, cancellationToken);
        var sink = (RealtimeInvitationEventSink)services.GetRequiredService<IInvitationEventSink>();
        var pending = await invitations.ListForUserAsync(userId, InvitationRole.Incoming, InvitationStateFilter.Pending, cancellationToken);
        foreach (var invitation in pending)
        {
            var e = new InvitationEvent
            {
                Recipient = userId,
                Name = InvitationEventNames.IncomingInvitationReceived,
                InvitationId = invitation.InvitationId,
                Version = invitation.Version,
                State = invitation.State,
                Inviter = invitation.Inviter,
                Invitee = userId,
                Invitees = [.. invitation.Invitees.Select(i => i.UserId)],
                Timeout = invitation.Timeout,
                CreateTime = invitation.CreateTime,
                ExtendedData = invitation.ExtendedData,
                Deadline = invitation.Deadline,
                RoomId = invitation.RoomId,
                PushConfig = invitation.PushConfig,
            };
            if (await sink.DeliverAsync(e, [new PresenceEntry(peerId, deviceId)]) > 0)
            {
                await invitations.MarkReceivedAsync(invitation.InvitationId, userId, cancellationToken);
            }
        }
    }

    /// <summary>A user's connection went away.</summary>
    public ValueTask DisconnectedAsync(string userId, string peerId) => presence.RemoveAsync(userId, peerId);
}
