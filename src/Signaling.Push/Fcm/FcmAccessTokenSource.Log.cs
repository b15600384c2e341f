using Microsoft.Extensions.Logging;

namespace Signaling.Push.Fcm;

internal sealed partial class FcmAccessTokenSource
{
    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "FCM service account {ClientEmail} loaded for project {ProjectId}.", EventName = "FcmCredentialLoaded")]
        public static partial void CredentialLoaded(ILogger logger, string clientEmail, string projectId);

        [LoggerMessage(201, LogLevel.Information, "FCM refused the access token; fetching a new one.", EventName = "FcmAccessTokenRefreshing")]
        public static partial void Refreshing(ILogger logger);
    }
}
