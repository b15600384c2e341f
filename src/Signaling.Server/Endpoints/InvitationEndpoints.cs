using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Signaling.Rooms.Invitations;
using Signaling.Server.Auth;
using Signaling.Server.Endpoints;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The invitation REST API under <c>/v1</c>.</summary>
public static class InvitationEndpoints
{
    /// <summary>Maps send, cancel, accept, refuse, get and the per-user list.</summary>
    public static RouteGroupBuilder MapInvitations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Invitations").RequireAuthorization().RequireRateLimiting(RateLimitingExtensions.PolicyName);
        group.MapPost("/invitations", SendAsync).WithName("SendInvitation")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapPost("/invitations/{invitationId}/cancel", CancelAsync).WithName("CancelInvitation").ProducesInvitationProblems();
        group.MapPost("/invitations/{invitationId}/accept", AcceptAsync).WithName("AcceptInvitation").ProducesInvitationProblems();
        group.MapPost("/invitations/{invitationId}/refuse", RefuseAsync).WithName("RefuseInvitation").ProducesInvitationProblems();
        group.MapGet("/invitations/{invitationId}", GetAsync).WithName("GetInvitation").ProducesInvitationProblems();
        group.MapGet("/users/{userId}/invitations", ListAsync).WithName("ListUserInvitations")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return group;
    }

    private static RouteHandlerBuilder ProducesInvitationProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>Rings the invitees. A retry with the same <c>Idempotency-Key</c> and body returns the first answer.</summary>
    internal static async Task<Results<Created<SendInvitationResult>, Ok<SendInvitationResult>, ProblemHttpResult>> SendAsync(
        SendInvitationBody body, ClaimsPrincipal user, IInvitationService invitations, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (ActingUser(user, body.Inviter, "inviter") is { Problem: { } problem })
        {
            return problem;
        }

        var result = await invitations.SendAsync(
            new SendInvitationRequest
            {
                Inviter = ActingUser(user, body.Inviter, "inviter").UserId!,
                Invitees = body.Invitees ?? [],
                Timeout = body.Timeout,
                ExtendedData = body.ExtendedData,
                RoomId = body.RoomId,
                PushConfig = body.PushConfig,
                IdempotencyKey = idempotencyKey,
            },
            cancellationToken);
        if (!result.IsSuccess)
        {
            return ProblemResults.From(result.Error!);
        }

        return result.Value!.Replayed
            ? TypedResults.Ok(result.Value)
            : TypedResults.Created($"/v1/invitations/{result.Value.InvitationId}", result.Value);
    }

    /// <summary>The inviter cancels (all pending invitees by default) while nobody has accepted.</summary>
    internal static async Task<Results<Ok<Invitation>, ProblemHttpResult>> CancelAsync(
        string invitationId, CancelInvitationBody? body, ClaimsPrincipal user, IInvitationService invitations, CancellationToken cancellationToken)
    {
        var actor = ActingUser(user, body?.Inviter, "inviter");
        return actor.Problem ?? ToResult(await invitations.CancelAsync(invitationId, actor.UserId!, body?.Invitees, body?.ExtendedData, cancellationToken));
    }

    /// <summary>An invitee accepts; of concurrent accepts exactly one wins. The answer is the invitation plus the invitee's <c>iceServers</c>.</summary>
    internal static async Task<Results<Ok<System.Text.Json.Nodes.JsonObject>, ProblemHttpResult>> AcceptAsync(
        string invitationId, AcceptInvitationBody? body, ClaimsPrincipal user, IInvitationService invitations, Signaling.Server.Ice.IceServerProvider ice,
        Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var actor = ActingUser(user, body?.Invitee, "invitee");
        if (actor.Problem is { } problem)
        {
            return problem;
        }

        var result = await invitations.AcceptAsync(invitationId, actor.UserId!, body?.DeviceId, body?.ExtendedData, cancellationToken);
        if (!result.IsSuccess)
        {
            return ProblemResults.From(result.Error!);
        }

        var answer = System.Text.Json.JsonSerializer.SerializeToNode(result.Value!, json.Value.SerializerOptions)!.AsObject();
        answer["iceServers"] = System.Text.Json.JsonSerializer.SerializeToNode(ice.GetFor(actor.UserId!).IceServers, json.Value.SerializerOptions);
        return TypedResults.Ok(answer);
    }

    /// <summary>An invitee refuses with a reason (<c>decline</c>, <c>busy</c> or your own).</summary>
    internal static async Task<Results<Ok<Invitation>, ProblemHttpResult>> RefuseAsync(
        string invitationId, RefuseInvitationBody? body, ClaimsPrincipal user, IInvitationService invitations, CancellationToken cancellationToken)
    {
        var actor = ActingUser(user, body?.Invitee, "invitee");
        return actor.Problem ?? ToResult(await invitations.RefuseAsync(invitationId, actor.UserId!, body?.DeviceId, body?.Reason, body?.ExtendedData, cancellationToken));
    }

    /// <summary>The invitation, for its participants (and backends).</summary>
    internal static async Task<Results<Ok<System.Text.Json.Nodes.JsonObject>, ProblemHttpResult>> GetAsync(
        string invitationId, ClaimsPrincipal user, IInvitationService invitations, Signaling.Push.IPushLedger pushes,
        Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var result = await invitations.GetAsync(invitationId, cancellationToken);
        if (!result.IsSuccess)
        {
            return ProblemResults.From(result.Error!);
        }

        var invitation = result.Value!;
        var caller = user.GetUserId();
        if (!user.IsBackend() && caller != invitation.Inviter && invitation.FindInvitee(caller ?? string.Empty) is null)
        {
            // Same answer as a missing invitation: outsiders learn nothing about which ids exist.
            return ProblemResults.Problem(InvitationErrorCodes.InvitationNotFound, "No invitation with that id is visible to you.");
        }

        // The invitation plus the outcome of every push it caused.
        var body = System.Text.Json.JsonSerializer.SerializeToNode(invitation, json.Value.SerializerOptions)!.AsObject();
        body["pushes"] = System.Text.Json.JsonSerializer.SerializeToNode(await pushes.GetOutcomesAsync(invitationId, cancellationToken), json.Value.SerializerOptions);
        return TypedResults.Ok(body);
    }

    /// <summary>A user's invitations: <c>role=incoming|outgoing</c>, optional <c>state</c> (e.g. <c>pending</c>), newest first.</summary>
    internal static async Task<Results<Ok<IReadOnlyList<Invitation>>, ProblemHttpResult>> ListAsync(
        string userId, ClaimsPrincipal user, IInvitationService invitations, string? role, string? state, CancellationToken cancellationToken)
    {
        var actor = ActingUser(user, userId, "userId");
        if (actor.Problem is { } problem)
        {
            return problem;
        }

        InvitationRole parsedRole;
        if (role is null or "incoming")
        {
            parsedRole = InvitationRole.Incoming;
        }
        else if (role == "outgoing")
        {
            parsedRole = InvitationRole.Outgoing;
        }
        else
        {
            return ProblemResults.Invalid("role", "role must be 'incoming' or 'outgoing'.");
        }

        InvitationStateFilter? filter = null;
        if (state is not null)
        {
            if (!Enum.TryParse<InvitationStateFilter>(state, ignoreCase: true, out var parsed) || int.TryParse(state, out _))
            {
                return ProblemResults.Invalid("state", "state must be one of pending, ringing, accepted, rejected, cancelled, timeout.");
            }

            filter = parsed;
        }

        return TypedResults.Ok(await invitations.ListForUserAsync(actor.UserId!, parsedRole, filter, cancellationToken));
    }

    /// <summary>
    /// Who acts: a user token acts only as its own <c>sub</c> (a different id in the body is 403); an API key acts for
    /// the user named in the body, which is then required.
    /// </summary>
    internal static (string? UserId, ProblemHttpResult? Problem) ActingUser(ClaimsPrincipal user, string? named, string field)
    {
        if (user.IsBackend())
        {
            return string.IsNullOrWhiteSpace(named)
                ? (null, ProblemResults.Invalid(field, $"'{field}' is required when calling with an API key."))
                : (named, null);
        }

        var self = user.GetUserId();
        if (self is null)
        {
            return (null, ProblemResults.Problem("unauthenticated", "A user token or an API key is required."));
        }

        if (!string.IsNullOrEmpty(named) && named != self)
        {
            return (null, ProblemResults.Problem(InvitationErrorCodes.Forbidden, $"You can act only as yourself; '{field}' names another user."));
        }

        return (self, null);
    }

    private static Results<Ok<Invitation>, ProblemHttpResult> ToResult(InvitationResult<Invitation> result)
        => result.IsSuccess ? TypedResults.Ok(result.Value!) : ProblemResults.From(result.Error!);
}
