using System.Text.Json.Serialization;

namespace Signaling.Rooms.Invitations;

/// <summary>Input of <see cref="IInvitationService.SendAsync"/>.</summary>
public sealed record SendInvitationRequest
{
    /// <summary>The caller's user id (from authentication, not from the body).</summary>
    public required string Inviter { get; init; }

    /// <summary>1 to <see cref="InvitationOptions.MaxInvitees"/> user ids.</summary>
    public required IReadOnlyList<string> Invitees { get; init; }

    /// <summary>Ringing time in seconds, 1 to <see cref="InvitationOptions.MaxTimeout"/>; null means <see cref="InvitationOptions.DefaultTimeout"/>.</summary>
    public int? Timeout { get; init; }

    /// <summary>Opaque data for the invitees, at most <see cref="InvitationOptions.MaxExtendedDataLength"/> UTF-8 bytes.</summary>
    public string? ExtendedData { get; init; }

    /// <summary>Room the call takes place in.</summary>
    public string? RoomId { get; init; }

    /// <summary>Offline push content.</summary>
    public InvitationPushConfig? PushConfig { get; init; }

    /// <summary>Retries with the same key and body return the first answer; scoped to <see cref="Inviter"/>.</summary>
    public string? IdempotencyKey { get; init; }
}

/// <summary>Output of a successful <see cref="IInvitationService.SendAsync"/>.</summary>
public sealed record SendInvitationResult
{
    /// <summary>The new invitation's id.</summary>
    public required string InvitationId { get; init; }

    /// <summary>Effective ringing time in seconds.</summary>
    public required int Timeout { get; init; }

    /// <summary>Creation time.</summary>
    public required DateTimeOffset CreateTime { get; init; }

    /// <summary>When pending invitees time out.</summary>
    public required DateTimeOffset Deadline { get; init; }

    /// <summary>Invitees left out, with the reason.</summary>
    public required IReadOnlyList<InviteeError> ErrorInvitees { get; init; }

    /// <summary>True when this is the stored answer to an earlier request with the same idempotency key.</summary>
    [JsonIgnore]
    public bool Replayed { get; init; }
}
