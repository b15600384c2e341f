using Microsoft.Extensions.Logging;

namespace Signaling.Push.Apns;

internal sealed partial class ApnsTokenProvider
{
    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "APNs provider token minted for key {KeyId} ({Why}), hint {TokenHint}.", EventName = "ApnsProviderTokenMinted")]
        public static partial void ProviderTokenMinted(ILogger logger, string? keyId, string why, string tokenHint);
    }
}
