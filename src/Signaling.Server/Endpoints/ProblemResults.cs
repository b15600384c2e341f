using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Signaling.Rooms.Invitations;

namespace Signaling.Server.Endpoints;

/// <summary>RFC 9457 problem details with a stable <c>code</c> extension.</summary>
public static class ProblemResults
{
    /// <summary>HTTP status for each error code.</summary>
    public static int StatusFor(string code) => code switch
    {
        InvitationErrorCodes.InvalidParameter => StatusCodes.Status400BadRequest,
        "unauthenticated" => StatusCodes.Status401Unauthorized,
        InvitationErrorCodes.Forbidden or InvitationErrorCodes.NotInvited => StatusCodes.Status403Forbidden,
        InvitationErrorCodes.InvitationNotFound or "not_found" => StatusCodes.Status404NotFound,
        InvitationErrorCodes.TooManyInvitees => StatusCodes.Status422UnprocessableEntity,
        "rate_limited" => StatusCodes.Status429TooManyRequests,
        "unavailable" => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status409Conflict,
    };

    /// <summary>A problem for <paramref name="code"/>.</summary>
    public static ProblemHttpResult Problem(string code, string detail, IDictionary<string, object?>? extensions = null)
    {
        var status = StatusFor(code);
        var problem = new ProblemDetails
        {
            Status = status,
            Title = Title(code),
            Detail = detail,
            Type = $"https://signaling.dev/problems/{code.Replace('_', '-')}",
        };
        problem.Extensions["code"] = code;
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                if (value is not null)
                {
                    problem.Extensions[key] = value;
                }
            }
        }

        return TypedResults.Problem(problem);
    }

    /// <summary>The problem for an invitation error: its code, the invitation's state and version, and the details.</summary>
    public static ProblemHttpResult From(InvitationError error)
    {
        var extensions = new Dictionary<string, object?>
        {
            ["invitationId"] = error.InvitationId,
            ["state"] = error.State?.ToString().ToLowerInvariant(),
            ["version"] = error.Version,
            ["existingInvitationId"] = error.ExistingInvitationId,
            ["errors"] = error.FieldErrors,
            ["errorInvitees"] = error.ErrorInvitees,
        };
        if (error.AnsweredUserId is not null)
        {
            extensions["answeredBy"] = new { userId = error.AnsweredUserId, deviceId = error.AnsweredDeviceId };
        }

        return Problem(error.Code, error.Message, extensions);
    }

    /// <summary>400 <c>invalid_parameter</c> with field errors.</summary>
    public static ProblemHttpResult Invalid(string field, string message)
        => Problem(InvitationErrorCodes.InvalidParameter, message, new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });

    private static string Title(string code) => code switch
    {
        InvitationErrorCodes.InvalidParameter => "Invalid parameter",
        "unauthenticated" => "Authentication required",
        InvitationErrorCodes.Forbidden => "Forbidden",
        InvitationErrorCodes.NotInvited => "Not invited",
        InvitationErrorCodes.InvitationNotFound => "Invitation not found",
        InvitationErrorCodes.InvitationEnded => "Invitation ended",
        InvitationErrorCodes.InvitationTimedOut => "Invitation timed out",
        InvitationErrorCodes.AlreadyAnswered => "Already answered",
        InvitationErrorCodes.InvalidState => "Invalid state",
        InvitationErrorCodes.Glare => "Both users are calling each other",
        InvitationErrorCodes.IdempotencyConflict => "Idempotency key reused with another body",
        InvitationErrorCodes.TooManyInvitees => "Too many invitees",
        "rate_limited" => "Too many requests",
        _ => code,
    };
}
