using Microsoft.Extensions.Logging;

namespace Signaling.Rooms.Invitations;

public sealed partial class InvitationService
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Invitation {InvitationId} sent by {Inviter} to {InviteeCount} invitee(s).", EventName = "InvitationSent")]
        public static partial void InvitationSent(ILogger logger, string invitationId, string inviter, int inviteeCount);

        [LoggerMessage(2, LogLevel.Debug, "Send replayed the stored answer for invitation {InvitationId}.", EventName = "SendReplayed")]
        public static partial void SendReplayed(ILogger logger, string invitationId);

        [LoggerMessage(3, LogLevel.Debug, "Send by {Inviter} refused: {Code}.", EventName = "SendRefused")]
        public static partial void SendRefused(ILogger logger, string inviter, string code);

        [LoggerMessage(4, LogLevel.Debug, "Invitation {InvitationId}: {Command} committed, now {State} at version {Version}.", EventName = "TransitionCommitted")]
        public static partial void TransitionCommitted(ILogger logger, string invitationId, string command, InvitationState state, long version);

        [LoggerMessage(5, LogLevel.Debug, "Invitation {InvitationId}: {Command} refused: {Code}.", EventName = "TransitionRefused")]
        public static partial void TransitionRefused(ILogger logger, string invitationId, string command, string code);

        [LoggerMessage(6, LogLevel.Debug, "Invitation {InvitationId} timed out at version {Version}.", EventName = "InvitationTimedOut")]
        public static partial void InvitationTimedOut(ILogger logger, string invitationId, long version);

        [LoggerMessage(7, LogLevel.Error, "Publishing {EventName} for invitation {InvitationId} version {Version} failed.", EventName = "PublishFailed")]
        public static partial void PublishFailed(ILogger logger, Exception exception, string eventName, string invitationId, long version);
    }
}
