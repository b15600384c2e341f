using Microsoft.Extensions.Logging;

namespace Signaling.Push.Apns;

internal sealed partial class ApnsClient
{
    private static partial class Log
    {
        [LoggerMessage(110, LogLevel.Information, "APNs rejected the provider token {TokenHint} as expired; renewing it once.", EventName = "ApnsProviderTokenExpired")]
        public static partial void ProviderTokenExpired(ILogger logger, string tokenHint);

        [LoggerMessage(111, LogLevel.Debug, "APNs answered {StatusCode} {Reason} to a {PushType} push for device token {TokenHint}.", EventName = "ApnsRejected")]
        public static partial void Rejected(ILogger logger, int statusCode, string? reason, string pushType, string tokenHint);

        [LoggerMessage(112, LogLevel.Debug, "APNs request to {Authority} for device token {TokenHint} failed: {Reason}.", EventName = "ApnsRequestFailed")]
        public static partial void RequestFailed(ILogger logger, string authority, string tokenHint, string? reason, Exception exception);
    }
}
