using Signaling.Push;
using Signaling.Push.Devices;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Presence;

namespace Signaling.Server.Realtime;

/// <summary>
/// Rings offline devices: on <c>incomingInvitationReceived</c>, every registered device of the invitee without a live
/// connection gets one ring push (VoIP on iOS, FCM data on Android); on cancel, timeout and answered elsewhere, the
/// devices that were rung get a cancel (never a VoIP push). Pushes are queued, never awaited by the request.
/// </summary>
internal sealed partial class InvitationPushBridge(IDeviceStore devices, IPushDispatcher dispatcher, ILogger<InvitationPushBridge> logger)
{
    public async Task OnEventAsync(InvitationEvent e, IReadOnlyList<PresenceEntry> connections, IInvitationService invitations)
    {
        switch (e.Name)
        {
            case InvitationEventNames.IncomingInvitationReceived:
                var online = connections.Where(c => c.DeviceId is not null).Select(c => c.DeviceId!).ToHashSet(StringComparer.Ordinal);
                var offline = (await devices.GetForUserAsync(e.Recipient)).Where(d => !online.Contains(d.DeviceId)).ToArray();
                if (offline.Length > 0 && !dispatcher.QueueRing(new RingRequest
                {
                    InvitationId = e.InvitationId,
                    Inviter = e.Inviter,
                    ExtendedData = e.ExtendedData,
                    Deadline = e.Deadline,
                    PushConfig = ToPush(e.PushConfig),
                    Devices = offline,
                }))
                {
                    Log.QueueFull(logger, e.InvitationId);
                }

                break;
            case InvitationEventNames.IncomingInvitationCancelled:
            case InvitationEventNames.IncomingInvitationTimeout:
                var targets = (await devices.GetForUserAsync(e.Recipient)).Where(d => d.DeviceId != e.ExceptDeviceId).ToArray();
                if (targets.Length == 0)
                {
                    break;
                }

                var pushConfig = (await invitations.GetAsync(e.InvitationId)).Value?.PushConfig;
                dispatcher.QueueCancel(new CancelRequest
                {
                    InvitationId = e.InvitationId,
                    Reason = e.Name == InvitationEventNames.IncomingInvitationTimeout ? CancelReason.Timeout
                        : e.Reason is InvitationCancelReasons.AnsweredElsewhere or InvitationCancelReasons.DeclinedElsewhere ? CancelReason.AnsweredElsewhere
                        : CancelReason.Cancelled,
                    PushConfig = ToPush(pushConfig),
                    Devices = targets,
                });
                break;
        }
    }

    private static PushConfig? ToPush(InvitationPushConfig? config)
        => config is null ? null : new PushConfig(config.Title, config.Content, config.Payload);

    private static partial class Log
    {
        [LoggerMessage(210, LogLevel.Warning, "Push queue full: ring pushes for invitation {InvitationId} were not queued")]
        public static partial void QueueFull(ILogger logger, string invitationId);
    }
}
