using Microsoft.Extensions.Logging;

namespace Signaling.Push.Fcm;

internal sealed partial class FcmClient
{
    private static partial class Log
    {
        [LoggerMessage(210, LogLevel.Warning, "No FCM access token could be obtained ({ErrorType}).", EventName = "FcmAccessTokenUnavailable")]
        public static partial void AccessTokenUnavailable(ILogger logger, string errorType, Exception exception);

        [LoggerMessage(211, LogLevel.Debug, "FCM answered {StatusCode} {Reason} for device token {TokenHint}.", EventName = "FcmRejected")]
        public static partial void Rejected(ILogger logger, int statusCode, string reason, string tokenHint);

        [LoggerMessage(212, LogLevel.Debug, "FCM request to {Authority} for device token {TokenHint} failed: {Reason}.", EventName = "FcmRequestFailed")]
        public static partial void RequestFailed(ILogger logger, string authority, string tokenHint, string? reason, Exception exception);
    }
}
