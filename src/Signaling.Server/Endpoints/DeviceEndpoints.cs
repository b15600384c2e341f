using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Signaling.Push.Devices;
using Signaling.Server.Endpoints;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Body of <c>PUT /v1/users/{userId}/devices/{deviceId}</c>.</summary>
/// <param name="Platform"><c>ios</c> or <c>android</c>.</param>
/// <param name="VoipToken">iOS PushKit token (rings).</param>
/// <param name="ApnsToken">iOS regular token (cancels).</param>
/// <param name="FcmToken">Android FCM registration token.</param>
/// <param name="BundleId">iOS bundle id; default <c>Push:Apns:BundleId</c>.</param>
/// <param name="Sandbox">iOS development build: pushes go to the APNs sandbox.</param>
public sealed record RegisterDeviceBody(string? Platform, string? VoipToken, string? ApnsToken, string? FcmToken, string? BundleId, bool? Sandbox);

/// <summary>Push devices under <c>/v1/users/{userId}/devices</c>: a user manages their own, an API key any user's.</summary>
public static class DeviceEndpoints
{
    private const int MaxTokenLength = 4096;

    /// <summary>Maps PUT, GET and DELETE.</summary>
    public static RouteGroupBuilder MapDevices(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/users/{userId}/devices").WithTags("Devices").RequireAuthorization().RequireRateLimiting(RateLimitingExtensions.PolicyName);
        group.MapPut("/{deviceId}", PutAsync).WithName("RegisterDevice").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapGet("/", ListAsync).WithName("ListDevices").ProducesProblem(StatusCodes.Status403Forbidden);
        group.MapDelete("/{deviceId}", DeleteAsync).WithName("DeleteDevice").ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    internal static async Task<Results<Ok<PushDevice>, ProblemHttpResult>> PutAsync(
        string userId, string deviceId, RegisterDeviceBody body, ClaimsPrincipal user, IDeviceStore devices, CancellationToken cancellationToken)
    {
        if (Authorize(user, userId) is { } denied)
        {
            return denied;
        }

        if (deviceId.Length is 0 or > 256)
        {
            return ProblemResults.Invalid("deviceId", "deviceId must be 1 to 256 characters.");
        }

        DevicePlatform platform;
        switch (body.Platform)
        {
            case "ios":
                platform = DevicePlatform.Ios;
                if (string.IsNullOrEmpty(body.VoipToken) && string.IsNullOrEmpty(body.ApnsToken))
                {
                    return ProblemResults.Invalid("voipToken", "An iOS device needs a voipToken (rings) and/or an apnsToken (cancels).");
                }

                break;
            case "android":
                platform = DevicePlatform.Android;
                if (string.IsNullOrEmpty(body.FcmToken))
                {
                    return ProblemResults.Invalid("fcmToken", "An Android device needs an fcmToken.");
                }

                break;
            default:
                return ProblemResults.Invalid("platform", "platform must be 'ios' or 'android'.");
        }

        foreach (var (field, value) in new[] { ("voipToken", body.VoipToken), ("apnsToken", body.ApnsToken), ("fcmToken", body.FcmToken), ("bundleId", body.BundleId) })
        {
            if (value?.Length > MaxTokenLength)
            {
                return ProblemResults.Invalid(field, $"{field} is longer than {MaxTokenLength} characters.");
            }
        }

        var device = new PushDevice(userId, deviceId, platform, Blank(body.VoipToken), Blank(body.ApnsToken), Blank(body.FcmToken), Blank(body.BundleId), body.Sandbox);
        await devices.UpsertAsync(device, cancellationToken);
        return TypedResults.Ok(device);
    }

    internal static async Task<Results<Ok<IReadOnlyList<PushDevice>>, ProblemHttpResult>> ListAsync(
        string userId, ClaimsPrincipal user, IDeviceStore devices, CancellationToken cancellationToken)
        => Authorize(user, userId) is { } denied ? denied : TypedResults.Ok(await devices.GetForUserAsync(userId, cancellationToken));

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string userId, string deviceId, ClaimsPrincipal user, IDeviceStore devices, CancellationToken cancellationToken)
    {
        if (Authorize(user, userId) is { } denied)
        {
            return denied;
        }

        return await devices.DeleteAsync(userId, deviceId, cancellationToken)
            ? TypedResults.NoContent()
            : ProblemResults.Problem("not_found", "No such device.");
    }

    private static ProblemHttpResult? Authorize(ClaimsPrincipal user, string userId)
        => InvitationEndpoints.ActingUser(user, userId, "userId").Problem;

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
