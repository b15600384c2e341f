namespace Signaling.Push;

/// <summary>The <c>IHttpClientFactory</c> client names used by <c>AddPush()</c>, to add handlers (a proxy, a test CA).</summary>
public static class PushHttpClientNames
{
    /// <summary>The APNs client (HTTP/2 only).</summary>
    public const string Apns = "Signaling.Push.Apns";

    /// <summary>The FCM HTTP v1 client.</summary>
    public const string Fcm = "Signaling.Push.Fcm";

    /// <summary>The client Google.Apis.Auth uses to fetch FCM access tokens from the service account's <c>token_uri</c>.</summary>
    public const string FcmOAuth = "Signaling.Push.FcmOAuth";
}
