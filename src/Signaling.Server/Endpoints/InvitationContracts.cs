using Signaling.Rooms.Invitations;

namespace Signaling.Server.Endpoints;

/// <summary>Body of <c>POST /v1/invitations</c>.</summary>
/// <param name="Inviter">The caller; optional with a user token (must match it), required with an API key.</param>
/// <param name="Invitees">1 to 9 user ids.</param>
/// <param name="Timeout">Ringing time in seconds, 1–600; default 90.</param>
/// <param name="ExtendedData">Opaque data for the invitees, at most 2 KB of UTF-8.</param>
/// <param name="RoomId">The room the call will use.</param>
/// <param name="PushConfig">Offline push content: title, content, payload.</param>
public sealed record SendInvitationBody(string? Inviter, IReadOnlyList<string>? Invitees, int? Timeout, string? ExtendedData, string? RoomId, InvitationPushConfig? PushConfig);

/// <summary>Body of <c>POST /v1/invitations/{id}/cancel</c>.</summary>
/// <param name="Inviter">The caller; optional with a user token, required with an API key.</param>
/// <param name="Invitees">Whom to cancel; default every pending invitee.</param>
/// <param name="ExtendedData">Passed to the invitees.</param>
public sealed record CancelInvitationBody(string? Inviter, IReadOnlyList<string>? Invitees, string? ExtendedData);

/// <summary>Body of <c>POST /v1/invitations/{id}/accept</c>.</summary>
/// <param name="Invitee">The caller; optional with a user token, required with an API key.</param>
/// <param name="DeviceId">The answering device (its other devices stop ringing).</param>
/// <param name="ExtendedData">Passed to the inviter.</param>
public sealed record AcceptInvitationBody(string? Invitee, string? DeviceId, string? ExtendedData);

/// <summary>Body of <c>POST /v1/invitations/{id}/refuse</c>.</summary>
/// <param name="Invitee">The caller; optional with a user token, required with an API key.</param>
/// <param name="DeviceId">The refusing device.</param>
/// <param name="Reason"><c>decline</c> (default), <c>busy</c> or your own.</param>
/// <param name="ExtendedData">Passed to the inviter.</param>
public sealed record RefuseInvitationBody(string? Invitee, string? DeviceId, string? Reason, string? ExtendedData);
