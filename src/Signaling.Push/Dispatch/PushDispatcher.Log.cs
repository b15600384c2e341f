using Microsoft.Extensions.Logging;

namespace Signaling.Push.Dispatch;

internal sealed partial class PushDispatcher
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Push {Kind} for invitation {InvitationId} to {UserId}/{DeviceId} ({Platform}): {Status} {Reason} after {Attempts} attempt(s).", EventName = "PushOutcome")]
        public static partial void Outcome(ILogger logger, string kind, string invitationId, string userId, string deviceId, string platform, string status, string? reason, int attempts);

        [LoggerMessage(2, LogLevel.Debug, "Push {Kind} for invitation {InvitationId} to {UserId}/{DeviceId} was already claimed; not sent again.", EventName = "PushDuplicateSuppressed")]
        public static partial void DuplicateSuppressed(ILogger logger, string kind, string invitationId, string userId, string deviceId);

        [LoggerMessage(3, LogLevel.Warning, "Removed the dead {TokenKind} token {TokenHint} of {UserId}/{DeviceId} ({Reason}); store changed: {Removed}.", EventName = "PushTokenRemoved")]
        public static partial void TokenRemoved(ILogger logger, string userId, string deviceId, string tokenKind, string tokenHint, string? reason, bool removed);

        [LoggerMessage(4, LogLevel.Information, "Retrying push {Kind} for invitation {InvitationId} to device {DeviceId} after {Reason} (attempt {Attempts}) in {Delay}.", EventName = "PushRetrying")]
        public static partial void Retrying(ILogger logger, string kind, string invitationId, string deviceId, string? reason, int attempts, TimeSpan delay);

        [LoggerMessage(5, LogLevel.Warning, "Push payload for invitation {InvitationId} to device {DeviceId} is {Size} bytes, over the {Limit}-byte limit; refused, not truncated.", EventName = "PushPayloadTooLarge")]
        public static partial void PayloadTooLarge(ILogger logger, string invitationId, string deviceId, int size, int limit);

        [LoggerMessage(6, LogLevel.Warning, "Push queue full; invitation {InvitationId} dropped.", EventName = "PushQueueFull")]
        public static partial void QueueRejected(ILogger logger, string invitationId);

        [LoggerMessage(7, LogLevel.Warning, "Retry-After {RetryAfter} for invitation {InvitationId} to device {DeviceId} exceeds Push:RetryMaxDelay; giving up.", EventName = "PushRetryAfterTooLong")]
        public static partial void RetryAfterTooLong(ILogger logger, string invitationId, string deviceId, TimeSpan retryAfter);

        [LoggerMessage(8, LogLevel.Error, "Push {Kind} for invitation {InvitationId} to device {DeviceId} failed unexpectedly.", EventName = "PushDeviceFailed")]
        public static partial void DeviceFailed(ILogger logger, string kind, string invitationId, string deviceId, Exception exception);

        [LoggerMessage(9, LogLevel.Error, "Push job for invitation {InvitationId} failed.", EventName = "PushJobFailed")]
        public static partial void JobFailed(ILogger logger, string invitationId, Exception exception);

        [LoggerMessage(10, LogLevel.Error, "Could not record the push outcome for invitation {InvitationId}, device {DeviceId}.", EventName = "PushLedgerWriteFailed")]
        public static partial void LedgerWriteFailed(ILogger logger, string invitationId, string deviceId, Exception exception);

        [LoggerMessage(11, LogLevel.Warning, "Push dispatcher shutdown timed out; remaining pushes abandoned.", EventName = "PushShutdownTimedOut")]
        public static partial void ShutdownTimedOut(ILogger logger);
    }
}
