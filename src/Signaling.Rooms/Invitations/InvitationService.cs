using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Signaling.Rooms.Invitations;

/// <summary>Validates requests, runs them as atomic store transitions and publishes the resulting events.</summary>
public sealed partial class InvitationService : IInvitationService
{
    /// <summary>Longest user id, device id, room id, refusal reason or idempotency key, in characters.</summary>
    public const int MaxIdLength = 256;

    /// <summary>Refusal reason used when the invitee gives none.</summary>
    public const string DefaultRefuseReason = "decline";

    private const int ClaimBatchSize = 256;

    // Long enough for any healthy node to commit a timeout; a crashed claimer's entries return after it.
    private static readonly TimeSpan ClaimLease = TimeSpan.FromSeconds(30);

    private readonly IInvitationStore _store;
    private readonly IInvitationEventSink _events;
    private readonly IOptionsMonitor<InvitationOptions> _options;
    private readonly ILogger<InvitationService> _logger;

    /// <summary>Creates the service.</summary>
    public InvitationService(
        IInvitationStore store, IInvitationEventSink events, IOptionsMonitor<InvitationOptions> options, ILogger<InvitationService> logger)
    {
        _store = store;
        _events = events;
        _options = options;
        _logger = logger;
    }

    /// <inheritdoc/>
    public async Task<InvitationResult<SendInvitationResult>> SendAsync(SendInvitationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Inviter);
        var options = _options.CurrentValue;

        if (request.Invitees is { } raw && raw.Count > options.MaxInvitees)
        {
            return Refused(request.Inviter, new InvitationError
            {
                Code = InvitationErrorCodes.TooManyInvitees,
                Message = $"At most {options.MaxInvitees} invitees per invitation.",
                FieldErrors = new Dictionary<string, string[]> { ["invitees"] = [$"At most {options.MaxInvitees} invitees are allowed."] },
            });
        }

        var fieldErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request.Invitees is null || request.Invitees.Count == 0)
        {
            fieldErrors["invitees"] = ["At least one invitee is required."];
        }

        if (request.Timeout is { } t && (t < 1 || t > options.MaxTimeout))
        {
            fieldErrors["timeout"] = [$"Must be between 1 and {options.MaxTimeout} seconds."];
        }

        CheckData(fieldErrors, "extendedData", request.ExtendedData, options);
        CheckId(fieldErrors, "roomId", request.RoomId);
        CheckId(fieldErrors, "idempotencyKey", request.IdempotencyKey);
        if (request.PushConfig is { } push)
        {
            CheckData(fieldErrors, "pushConfig.title", push.Title, options);
            CheckData(fieldErrors, "pushConfig.content", push.Content, options);
            CheckData(fieldErrors, "pushConfig.payload", push.Payload, options);
        }

        if (fieldErrors.Count > 0)
        {
            return Refused(request.Inviter, InvitationError.Invalid(fieldErrors));
        }

        var invitees = new List<string>(request.Invitees!.Count);
        var errorInvitees = new List<InviteeError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var invitee in request.Invitees)
        {
            var reason = string.IsNullOrWhiteSpace(invitee) || invitee.Length > MaxIdLength ? InviteeErrorReasons.Invalid
                : invitee == request.Inviter ? InviteeErrorReasons.Self
                : !seen.Add(invitee) ? InviteeErrorReasons.Duplicate
                : null;
            if (reason is null)
            {
                invitees.Add(invitee);
            }
            else
            {
                errorInvitees.Add(new InviteeError(invitee ?? string.Empty, reason));
            }
        }

        if (invitees.Count == 0)
        {
            return Refused(request.Inviter, InvitationError.Invalid("invitees", "None of the invitees can be invited; see errorInvitees.") with
            {
                ErrorInvitees = errorInvitees,
            });
        }

        var created = await _store.CreateAsync(
            new NewInvitation
            {
                InvitationId = NewInvitationId(),
                Inviter = request.Inviter,
                Invitees = invitees,
                Timeout = request.Timeout ?? options.DefaultTimeout,
                ExtendedData = request.ExtendedData,
                RoomId = request.RoomId,
                PushConfig = request.PushConfig,
                ErrorInvitees = errorInvitees,
                RefuseBusyInvitees = options.RefuseBusyInvitees,
                IdempotencyKey = request.IdempotencyKey,
                RequestFingerprint = request.IdempotencyKey is null ? null : Fingerprint(request),
            },
            cancellationToken).ConfigureAwait(false);

        if (created.Error is { } error)
        {
            return Refused(request.Inviter, error);
        }

        var result = created.Result!;
        if (result.Replayed)
        {
            Log.SendReplayed(_logger, result.InvitationId);
        }
        else
        {
            Log.InvitationSent(_logger, result.InvitationId, request.Inviter, created.Invitation!.Invitees.Count);
            await PublishAsync(created.Events).ConfigureAwait(false);
        }

        return InvitationResult<SendInvitationResult>.Success(result);
    }

    /// <inheritdoc/>
    public Task<InvitationResult<Invitation>> CancelAsync(
        string invitationId, string inviter, IReadOnlyList<string>? invitees = null, string? extendedData = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(inviter);
        var fieldErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckData(fieldErrors, "extendedData", extendedData, _options.CurrentValue);
        if (invitees is not null && invitees.Count > _options.CurrentValue.MaxInvitees)
        {
            fieldErrors["invitees"] = [$"At most {_options.CurrentValue.MaxInvitees} invitees are allowed."];
        }

        return fieldErrors.Count > 0
            ? Task.FromResult(InvitationResult<Invitation>.Failure(InvitationError.Invalid(fieldErrors)))
            : UpdateAsync(invitationId, new CancelInvitationCommand(inviter, invitees, extendedData), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<InvitationResult<Invitation>> AcceptAsync(
        string invitationId, string invitee, string? deviceId = null, string? extendedData = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(invitee);
        var fieldErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckId(fieldErrors, "deviceId", deviceId);
        CheckData(fieldErrors, "extendedData", extendedData, _options.CurrentValue);
        return fieldErrors.Count > 0
            ? Task.FromResult(InvitationResult<Invitation>.Failure(InvitationError.Invalid(fieldErrors)))
            : UpdateAsync(invitationId, new AcceptInvitationCommand(invitee, deviceId, extendedData, _options.CurrentValue.BusyWindow), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<InvitationResult<Invitation>> RefuseAsync(
        string invitationId, string invitee, string? deviceId = null, string? reason = null, string? extendedData = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(invitee);
        var fieldErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckId(fieldErrors, "deviceId", deviceId);
        CheckId(fieldErrors, "reason", reason);
        CheckData(fieldErrors, "extendedData", extendedData, _options.CurrentValue);
        return fieldErrors.Count > 0
            ? Task.FromResult(InvitationResult<Invitation>.Failure(InvitationError.Invalid(fieldErrors)))
            : UpdateAsync(invitationId, new RefuseInvitationCommand(invitee, deviceId, reason ?? DefaultRefuseReason, extendedData), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<InvitationResult<Invitation>> MarkReceivedAsync(string invitationId, string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return UpdateAsync(invitationId, new MarkReceivedCommand(userId), cancellationToken);
    }

    /// <inheritdoc/>
    public Task<InvitationResult<Invitation>> EndCallAsync(string invitationId, string userId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return UpdateAsync(invitationId, new EndCallCommand(userId), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<InvitationResult<Invitation>> GetAsync(string invitationId, CancellationToken cancellationToken = default)
    {
        if (!IsPlausibleId(invitationId))
        {
            return InvitationResult<Invitation>.Failure(InvitationError.NotFound(invitationId ?? string.Empty));
        }

        var invitation = await _store.GetAsync(invitationId, cancellationToken).ConfigureAwait(false);
        return invitation is null
            ? InvitationResult<Invitation>.Failure(InvitationError.NotFound(invitationId))
            : InvitationResult<Invitation>.Success(invitation);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Invitation>> ListForUserAsync(
        string userId, InvitationRole role, InvitationStateFilter? state = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var all = await _store.ListForUserAsync(userId, role, cancellationToken).ConfigureAwait(false);
        return state is not { } filter ? all : all.Where(i => Matches(i, userId, role, filter)).ToList();
    }

    /// <summary>Times out every invitation whose deadline has passed; returns how many this call committed.</summary>
    /// <remarks>Safe to run on every node at once: claims and the version check make each timeout commit exactly once.</remarks>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var expired = 0;
        while (true)
        {
            var due = await _store.ClaimDueAsync(ClaimBatchSize, ClaimLease, cancellationToken).ConfigureAwait(false);
            foreach (var id in due)
            {
                var result = await _store.UpdateAsync(id, new ExpireInvitationCommand(), cancellationToken).ConfigureAwait(false);
                if (result.Changed)
                {
                    expired++;
                    Log.InvitationTimedOut(_logger, id, result.Invitation!.Version);
                    await PublishAsync(result.Events).ConfigureAwait(false);
                }
            }

            if (due.Count < ClaimBatchSize)
            {
                return expired;
            }
        }
    }

    private async Task<InvitationResult<Invitation>> UpdateAsync(string invitationId, InvitationCommand command, CancellationToken cancellationToken)
    {
        if (!IsPlausibleId(invitationId))
        {
            return InvitationResult<Invitation>.Failure(InvitationError.NotFound(invitationId ?? string.Empty));
        }

        var result = await _store.UpdateAsync(invitationId, command, cancellationToken).ConfigureAwait(false);
        if (result.Changed)
        {
            Log.TransitionCommitted(_logger, invitationId, command.GetType().Name, result.Invitation!.State, result.Invitation.Version);

            // The transition is committed: its events go out even if the caller has given up waiting.
            await PublishAsync(result.Events).ConfigureAwait(false);
        }

        if (result.Error is { } error)
        {
            Log.TransitionRefused(_logger, invitationId, command.GetType().Name, error.Code);
            return InvitationResult<Invitation>.Failure(error);
        }

        return InvitationResult<Invitation>.Success(result.Invitation!);
    }

    private async Task PublishAsync(IReadOnlyList<InvitationEvent> events)
    {
        foreach (var e in events)
        {
            try
            {
                await _events.PublishAsync(e, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.PublishFailed(_logger, ex, e.Name, e.InvitationId, e.Version);
            }
        }
    }

    private InvitationResult<SendInvitationResult> Refused(string inviter, InvitationError error)
    {
        Log.SendRefused(_logger, inviter, error.Code);
        return InvitationResult<SendInvitationResult>.Failure(error);
    }

    private static bool Matches(Invitation invitation, string userId, InvitationRole role, InvitationStateFilter filter) => filter switch
    {
        InvitationStateFilter.Pending => invitation.State == InvitationState.Ringing
            && (role == InvitationRole.Outgoing || invitation.FindInvitee(userId)?.State.IsPending() == true),
        InvitationStateFilter.Ringing => invitation.State == InvitationState.Ringing,
        InvitationStateFilter.Accepted => invitation.State == InvitationState.Accepted,
        InvitationStateFilter.Rejected => invitation.State == InvitationState.Rejected,
        InvitationStateFilter.Cancelled => invitation.State == InvitationState.Cancelled,
        InvitationStateFilter.Timeout => invitation.State == InvitationState.Timeout,
        _ => false,
    };

    private static bool IsPlausibleId(string? invitationId) => !string.IsNullOrEmpty(invitationId) && invitationId.Length <= MaxIdLength;

    private static void CheckId(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (value is not null && (string.IsNullOrWhiteSpace(value) || value.Length > MaxIdLength))
        {
            errors[field] = [$"Must be 1 to {MaxIdLength} characters, not blank."];
        }
    }

    private static void CheckData(Dictionary<string, string[]> errors, string field, string? value, InvitationOptions options)
    {
        if (value is not null && Encoding.UTF8.GetByteCount(value) > options.MaxExtendedDataLength)
        {
            errors[field] = [$"At most {options.MaxExtendedDataLength} bytes (UTF-8)."];
        }
    }

    internal static string NewInvitationId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    // Hash of every body field, in a fixed order; the inviter scopes the key itself.
    internal static string Fingerprint(SendInvitationRequest request)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("invitees");
            foreach (var invitee in request.Invitees)
            {
                writer.WriteStringValue(invitee);
            }

            writer.WriteEndArray();
            if (request.Timeout is { } timeout)
            {
                writer.WriteNumber("timeout", timeout);
            }
            else
            {
                writer.WriteNull("timeout");
            }

            writer.WriteString("extendedData", request.ExtendedData);
            writer.WriteString("roomId", request.RoomId);
            writer.WriteBoolean("push", request.PushConfig is not null);
            writer.WriteString("pushTitle", request.PushConfig?.Title);
            writer.WriteString("pushContent", request.PushConfig?.Content);
            writer.WriteString("pushPayload", request.PushConfig?.Payload);
            writer.WriteEndObject();
        }

        return Convert.ToHexString(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }
}
