using Microsoft.Extensions.Logging;

namespace Signaling.Push.Dispatch;

internal sealed partial class PushDispatcherService
{
    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information, "APNs enabled: key {KeyId}, team {TeamId}, {Origin}, default bundle {BundleId}.", EventName = "ApnsEnabled")]
        public static partial void ApnsEnabled(ILogger logger, string keyId, string teamId, string origin, string? bundleId);

        [LoggerMessage(21, LogLevel.Warning, "APNs disabled: Push:Apns:KeyId/TeamId/PrivateKey not configured; iOS devices are not rung.", EventName = "ApnsDisabled")]
        public static partial void ApnsDisabled(ILogger logger);

        [LoggerMessage(22, LogLevel.Information, "FCM enabled: project {ProjectId}, {Origin}.", EventName = "FcmEnabled")]
        public static partial void FcmEnabled(ILogger logger, string projectId, string origin);

        [LoggerMessage(23, LogLevel.Warning, "FCM disabled: Push:Fcm:ServiceAccountPath/ServiceAccountJson not configured; Android devices are not rung.", EventName = "FcmDisabled")]
        public static partial void FcmDisabled(ILogger logger);
    }
}
