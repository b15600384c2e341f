using System.Text.Json;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Relay;

namespace Signaling.Server.Realtime;

/// <summary>
/// Delivers invitation events to every live connection of the user concerned (Socket.IO and SignalR alike), and
/// marks an invitation received once one of the invitee's connections got it.
/// </summary>
internal sealed partial class RealtimeInvitationEventSink(UserConnections connections, InvitationPushBridge pushes, IServiceProvider services, ILogger<RealtimeInvitationEventSink> logger) : IInvitationEventSink
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public async Task PublishAsync(InvitationEvent invitationEvent, CancellationToken cancellationToken = default)
    {
        var delivered = Deliver(invitationEvent);
        Log.Published(logger, invitationEvent.Name, invitationEvent.InvitationId, invitationEvent.Version, delivered);

        // Resolved lazily: the service publishes through this sink.
        var invitations = services.GetRequiredService<IInvitationService>();
        if (delivered > 0 && invitationEvent.Name == InvitationEventNames.IncomingInvitationReceived)
        {
            await invitations.MarkReceivedAsync(invitationEvent.InvitationId, invitationEvent.Recipient, CancellationToken.None);
        }

        try
        {
            await pushes.OnEventAsync(invitationEvent, invitations);
        }
        catch (Exception ex)
        {
            Log.PushFailed(logger, invitationEvent.InvitationId, ex);
        }
    }

    /// <summary>Sends the event to the recipient's connections; returns how many got it.</summary>
    public int Deliver(InvitationEvent invitationEvent)
    {
        var targets = connections.Get(invitationEvent.Recipient, invitationEvent.ExceptDeviceId);
        if (targets.Count == 0)
        {
            return 0;
        }

        var message = new RelayMessage(invitationEvent.Name, JsonSerializer.SerializeToUtf8Bytes(invitationEvent, JsonOptions));
        var delivered = 0;
        foreach (var target in targets)
        {
            if (target.Peer.Deliver(message))
            {
                delivered++;
            }
        }

        return delivered;
    }

    private static partial class Log
    {
        [LoggerMessage(201, LogLevel.Error, "Queuing pushes for invitation {InvitationId} failed")]
        public static partial void PushFailed(ILogger logger, string invitationId, Exception exception);

        [LoggerMessage(200, LogLevel.Debug, "Invitation event {Name} for {InvitationId} v{Version} delivered to {Count} connections")]
        public static partial void Published(ILogger logger, string name, string invitationId, long version, int count);
    }
}

/// <summary>On connect, an authenticated user is told at once about invitations still ringing for them.</summary>
internal sealed class PendingInvitationNotifier(IInvitationService invitations)
{
    public async Task NotifyAsync(UserConnection connection, CancellationToken cancellationToken = default)
    {
        var pending = await invitations.ListForUserAsync(connection.UserId, InvitationRole.Incoming, InvitationStateFilter.Pending, cancellationToken);
        foreach (var invitation in pending)
        {
            var e = new InvitationEvent
            {
                Recipient = connection.UserId,
                Name = InvitationEventNames.IncomingInvitationReceived,
                InvitationId = invitation.InvitationId,
                Version = invitation.Version,
                State = invitation.State,
                Inviter = invitation.Inviter,
                Invitee = connection.UserId,
                Invitees = [.. invitation.Invitees.Select(i => i.UserId)],
                Timeout = invitation.Timeout,
                CreateTime = invitation.CreateTime,
                ExtendedData = invitation.ExtendedData,
                Deadline = invitation.Deadline,
                RoomId = invitation.RoomId,
                PushConfig = invitation.PushConfig,
            };
            var message = new Signaling.Rooms.Relay.RelayMessage(e.Name, JsonSerializer.SerializeToUtf8Bytes(e, RealtimeInvitationEventSink.JsonOptions));
            if (connection.Peer.Deliver(message))
            {
                await invitations.MarkReceivedAsync(invitation.InvitationId, connection.UserId, cancellationToken);
            }
        }
    }
}
