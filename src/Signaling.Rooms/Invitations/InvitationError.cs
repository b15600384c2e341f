using System.Diagnostics.CodeAnalysis;

namespace Signaling.Rooms.Invitations;

/// <summary>The stable error codes of <see cref="InvitationError.Code"/>.</summary>
public static class InvitationErrorCodes
{
    /// <summary>A field is missing or out of range; see <see cref="InvitationError.FieldErrors"/>.</summary>
    public const string InvalidParameter = "invalid_parameter";

    /// <summary>The caller may not do this (e.g. cancel someone else's invitation).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The caller is not an invitee of this invitation.</summary>
    public const string NotInvited = "not_invited";

    /// <summary>No such invitation (or it was purged after its retention).</summary>
    public const string InvitationNotFound = "invitation_not_found";

    /// <summary>The invitation (or the caller's entry) was cancelled or rejected.</summary>
    public const string InvitationEnded = "invitation_ended";

    /// <summary>The deadline passed.</summary>
    public const string InvitationTimedOut = "invitation_timed_out";

    /// <summary>Someone accepted; see <see cref="InvitationError.AnsweredUserId"/>.</summary>
    public const string AlreadyAnswered = "already_answered";

    /// <summary>The caller's own entry does not allow this (e.g. refuse after accepting).</summary>
    public const string InvalidState = "invalid_state";

    /// <summary>The invitee is already calling the inviter; see <see cref="InvitationError.ExistingInvitationId"/>.</summary>
    public const string Glare = "glare";

    /// <summary>The idempotency key was used before with a different request body.</summary>
    public const string IdempotencyConflict = "idempotency_conflict";

    /// <summary>More invitees than <see cref="InvitationOptions.MaxInvitees"/>.</summary>
    public const string TooManyInvitees = "too_many_invitees";
}

/// <summary>An expected failure of an invitation operation.</summary>
public sealed record InvitationError
{
    /// <summary>One of <see cref="InvitationErrorCodes"/>.</summary>
    public required string Code { get; init; }

    /// <summary>Human-readable explanation, not meant for parsing.</summary>
    public required string Message { get; init; }

    /// <summary>The invitation concerned, when there is one.</summary>
    public string? InvitationId { get; init; }

    /// <summary>Its current state, when there is one.</summary>
    public InvitationState? State { get; init; }

    /// <summary>Its current version, when there is one.</summary>
    public long? Version { get; init; }

    /// <summary>For <c>already_answered</c>: the user who accepted.</summary>
    public string? AnsweredUserId { get; init; }

    /// <summary>For <c>already_answered</c>: the device that accepted, if known.</summary>
    public string? AnsweredDeviceId { get; init; }

    /// <summary>For <c>glare</c>: the ringing invitation from the invitee to the inviter.</summary>
    public string? ExistingInvitationId { get; init; }

    /// <summary>For <c>invalid_parameter</c>: field name to messages.</summary>
    public IReadOnlyDictionary<string, string[]>? FieldErrors { get; init; }

    /// <summary>For a send refused because no invitee was usable: why each one was not.</summary>
    public IReadOnlyList<InviteeError>? ErrorInvitees { get; init; }

    internal static InvitationError About(Invitation invitation, string code, string message) => new()
    {
        Code = code,
        Message = message,
        InvitationId = invitation.InvitationId,
        State = invitation.State,
        Version = invitation.Version,
    };

    internal static InvitationError NotFound(string invitationId) => new()
    {
        Code = InvitationErrorCodes.InvitationNotFound,
        Message = "No such invitation.",
        InvitationId = invitationId,
    };

    internal static InvitationError Invalid(IReadOnlyDictionary<string, string[]> fieldErrors) => new()
    {
        Code = InvitationErrorCodes.InvalidParameter,
        Message = "One or more parameters are invalid.",
        FieldErrors = fieldErrors,
    };

    internal static InvitationError Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>Why one invitee of a send was left out.</summary>
/// <param name="UserId">The invitee as given.</param>
/// <param name="Reason">One of <see cref="InviteeErrorReasons"/>.</param>
public sealed record InviteeError(string UserId, string Reason);

/// <summary>Values of <see cref="InviteeError.Reason"/>.</summary>
public static class InviteeErrorReasons
{
    /// <summary>The invitee is the inviter.</summary>
    public const string Self = "self";

    /// <summary>Listed more than once; the first occurrence was kept.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Empty or longer than 256 characters.</summary>
    public const string Invalid = "invalid";

    /// <summary>In an ongoing call, with <see cref="InvitationOptions.RefuseBusyInvitees"/> on.</summary>
    public const string Busy = "busy";
}

/// <summary>Either a value or an <see cref="InvitationError"/>.</summary>
/// <typeparam name="T">Type of the value on success.</typeparam>
public sealed class InvitationResult<T>
    where T : class
{
    private InvitationResult(T? value, InvitationError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value, when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>The error, when not <see cref="IsSuccess"/>.</summary>
    public InvitationError? Error { get; }

    /// <summary>Whether the operation succeeded.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>A successful result.</summary>
    public static InvitationResult<T> Success(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    /// <summary>A failed result.</summary>
    public static InvitationResult<T> Failure(InvitationError error) => new(null, error ?? throw new ArgumentNullException(nameof(error)));

    /// <inheritdoc/>
    public override string ToString() => IsSuccess ? $"Success({Value})" : $"Failure({Error.Code}: {Error.Message})";
}
