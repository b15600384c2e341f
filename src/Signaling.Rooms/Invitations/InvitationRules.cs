namespace Signaling.Rooms.Invitations;

/// <summary>
/// The invitation state machine as pure functions of (snapshot, command, store time). Stores call these inside their
/// atomic operation; nothing here reads a clock or keeps state.
/// </summary>
public static class InvitationRules
{
    /// <summary>Builds the first version of an invitation, leaving out <paramref name="busyInvitees"/>.</summary>
    public static InvitationCreateResult Create(NewInvitation request, DateTimeOffset now, IReadOnlyCollection<string> busyInvitees)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(busyInvitees);

        var errorInvitees = new List<InviteeError>(request.ErrorInvitees);
        var invitees = new List<string>(request.Invitees.Count);
        foreach (var userId in request.Invitees)
        {
            if (busyInvitees.Contains(userId))
            {
                errorInvitees.Add(new InviteeError(userId, InviteeErrorReasons.Busy));
            }
            else
            {
                invitees.Add(userId);
            }
        }

        if (invitees.Count == 0)
        {
            return new InvitationCreateResult
            {
                Error = InvitationError.Invalid("invitees", "None of the invitees can be invited; see errorInvitees.") with
                {
                    ErrorInvitees = errorInvitees,
                },
            };
        }

        var invitation = new Invitation
        {
            InvitationId = request.InvitationId,
            Inviter = request.Inviter,
            Invitees = invitees.ConvertAll(u => new InviteeEntry { UserId = u, State = InviteeState.Inviting, UpdateTime = now }),
            Timeout = request.Timeout,
            ExtendedData = request.ExtendedData,
            RoomId = request.RoomId,
            PushConfig = request.PushConfig,
            CreateTime = now,
            Deadline = now.AddSeconds(request.Timeout),
            State = InvitationState.Ringing,
            Version = 1,
        };

        var inviteeIds = invitees.AsReadOnly();
        var events = invitees.ConvertAll(u => NewEvent(invitation, InvitationEventNames.IncomingInvitationReceived, u) with
        {
            Invitee = u,
            Invitees = inviteeIds,
            ExtendedData = invitation.ExtendedData,
            Timeout = invitation.Timeout,
            CreateTime = invitation.CreateTime,
            RoomId = invitation.RoomId,
            PushConfig = invitation.PushConfig,
        });

        return new InvitationCreateResult
        {
            Invitation = invitation,
            Events = events,
            Result = new SendInvitationResult
            {
                InvitationId = invitation.InvitationId,
                Timeout = invitation.Timeout,
                CreateTime = invitation.CreateTime,
                Deadline = invitation.Deadline,
                ErrorInvitees = errorInvitees,
            },
        };
    }

    /// <summary>Whether <paramref name="existing"/> is an invitation ringing <paramref name="inviter"/> that is still pending for them.</summary>
    public static bool IsGlare(Invitation existing, string inviter, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(existing);
        return existing.State == InvitationState.Ringing
            && now < existing.Deadline
            && existing.FindInvitee(inviter)?.State.IsPending() == true;
    }

    /// <summary>The <c>glare</c> error for a send that collides with <paramref name="existing"/>.</summary>
    public static InvitationError GlareError(Invitation existing)
    {
        ArgumentNullException.ThrowIfNull(existing);
        return InvitationError.About(existing, InvitationErrorCodes.Glare, "The invitee is already calling the inviter.") with
        {
            ExistingInvitationId = existing.InvitationId,
        };
    }

    /// <summary>The <c>idempotency_conflict</c> error.</summary>
    public static InvitationError IdempotencyConflictError(string invitationId) => new()
    {
        Code = InvitationErrorCodes.IdempotencyConflict,
        Message = "The idempotency key was already used with a different request.",
        ExistingInvitationId = invitationId,
    };

    /// <summary>Whether the deadline has passed while ringing, so the next write must commit the timeout.</summary>
    public static bool IsDue(Invitation invitation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        return invitation.State == InvitationState.Ringing && now >= invitation.Deadline;
    }

    /// <summary>
    /// The invitation as readers must see it at <paramref name="now"/>: timed out (with the version the timeout will
    /// be committed with) once the deadline has passed, even if nobody committed that yet.
    /// </summary>
    public static Invitation Project(Invitation invitation, DateTimeOffset now) =>
        IsDue(invitation, now) ? TimeOut(invitation).Invitation! : invitation;

    /// <summary>Users who count as busy because of this invitation, and until when.</summary>
    public static IEnumerable<string> BusyUsers(Invitation invitation, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(invitation);
        if (invitation.State != InvitationState.Accepted || invitation.BusyUntil is not { } until || until <= now)
        {
            yield break;
        }

        yield return invitation.Inviter;
        if (invitation.AcceptedInvitee is { } accepted)
        {
            yield return accepted.UserId;
        }
    }

    /// <summary>
    /// Applies <paramref name="command"/> at store time <paramref name="now"/>. A due invitation is timed out first
    /// (that change is committed and its events published even though the command then fails).
    /// </summary>
    public static InvitationUpdateResult Apply(Invitation current, InvitationCommand command, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(command);

        if (!IsDue(current, now))
        {
            return ApplyCore(current, command, now);
        }

        var timedOut = TimeOut(current);
        var after = ApplyCore(timedOut.Invitation!, command, now);
        return timedOut with { Error = after.Error };
    }

    private static InvitationUpdateResult ApplyCore(Invitation current, InvitationCommand command, DateTimeOffset now) => command switch
    {
        CancelInvitationCommand cancel => Cancel(current, cancel, now),
        AcceptInvitationCommand accept => Accept(current, accept, now),
        RefuseInvitationCommand refuse => Refuse(current, refuse, now),
        MarkReceivedCommand received => MarkReceived(current, received, now),
        EndCallCommand endCall => EndCall(current, endCall, now),
        ExpireInvitationCommand => Unchanged(current),
        _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
    };

    private static InvitationUpdateResult Cancel(Invitation current, CancelInvitationCommand command, DateTimeOffset now)
    {
        if (current.Inviter != command.Inviter)
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.Forbidden, "Only the inviter can cancel."));
        }

        if (current.State != InvitationState.Ringing)
        {
            return Fail(current, EndedError(current));
        }

        HashSet<string> targets;
        if (command.Invitees is null || command.Invitees.Count == 0)
        {
            targets = current.Invitees.Where(e => e.State.IsPending()).Select(e => e.UserId).ToHashSet(StringComparer.Ordinal);
        }
        else
        {
            var unknown = command.Invitees.Where(u => current.FindInvitee(u) is null).Distinct(StringComparer.Ordinal).ToArray();
            if (unknown.Length > 0)
            {
                return Fail(current, InvitationError.Invalid("invitees", $"Not invitees of this invitation: {string.Join(", ", unknown)}.") with
                {
                    InvitationId = current.InvitationId,
                    State = current.State,
                    Version = current.Version,
                });
            }

            targets = command.Invitees.Where(u => current.FindInvitee(u)!.State.IsPending()).ToHashSet(StringComparer.Ordinal);
        }

        if (targets.Count == 0)
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.InvalidState, "None of the given invitees is still pending."));
        }

        var entries = current.Invitees.Select(e => targets.Contains(e.UserId)
            ? e with { State = InviteeState.Cancelled, Reason = InvitationCancelReasons.CallerCancelled, ExtendedData = command.ExtendedData, AnsweredBy = null, UpdateTime = now }
            : e).ToList();
        var next = Next(current, entries, now);

        var events = entries.Where(e => targets.Contains(e.UserId))
            .Select(e => NewEvent(next, InvitationEventNames.IncomingInvitationCancelled, e.UserId) with
            {
                Invitee = e.UserId,
                Reason = InvitationCancelReasons.CallerCancelled,
                ExtendedData = command.ExtendedData,
            })
            .ToList();
        return Changed(next, events);
    }

    private static InvitationUpdateResult Accept(Invitation current, AcceptInvitationCommand command, DateTimeOffset now)
    {
        var entry = current.FindInvitee(command.Invitee);
        if (entry is null)
        {
            return Fail(current, NotInvited(current));
        }

        if (current.State is InvitationState.Timeout or InvitationState.Accepted)
        {
            return Fail(current, EndedError(current));
        }

        if (entry.State == InviteeState.Rejected)
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.InvalidState, "The invitee already refused."));
        }

        if (current.State != InvitationState.Ringing || !entry.State.IsPending())
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.InvitationEnded, "The invitation was cancelled for this invitee."));
        }

        var others = current.Invitees.Where(e => e.UserId != command.Invitee && e.State.IsPending()).Select(e => e.UserId).ToHashSet(StringComparer.Ordinal);
        var entries = current.Invitees.Select(e =>
            e.UserId == command.Invitee
                ? e with { State = InviteeState.Accepted, AnsweredBy = command.DeviceId, Reason = null, ExtendedData = command.ExtendedData, UpdateTime = now }
                : others.Contains(e.UserId)
                    ? e with { State = InviteeState.Cancelled, Reason = InvitationCancelReasons.AnsweredByOther, UpdateTime = now }
                    : e).ToList();
        var next = Next(current, entries, now) with
        {
            State = InvitationState.Accepted,
            EndTime = now,
            BusyUntil = now + command.BusyWindow,
        };

        var events = new List<InvitationEvent>(others.Count + 2)
        {
            NewEvent(next, InvitationEventNames.OutgoingInvitationAccepted, next.Inviter) with
            {
                Invitee = command.Invitee,
                DeviceId = command.DeviceId,
                ExtendedData = command.ExtendedData,
                RoomId = next.RoomId,
            },
            NewEvent(next, InvitationEventNames.IncomingInvitationCancelled, command.Invitee) with
            {
                ExceptDeviceId = command.DeviceId,
                Invitee = command.Invitee,
                DeviceId = command.DeviceId,
                Reason = InvitationCancelReasons.AnsweredElsewhere,
            },
        };
        events.AddRange(entries.Where(e => others.Contains(e.UserId)).Select(e =>
            NewEvent(next, InvitationEventNames.IncomingInvitationCancelled, e.UserId) with
            {
                Invitee = e.UserId,
                AnsweredUserId = command.Invitee,
                Reason = InvitationCancelReasons.AnsweredByOther,
            }));
        return Changed(next, events);
    }

    private static InvitationUpdateResult Refuse(Invitation current, RefuseInvitationCommand command, DateTimeOffset now)
    {
        var entry = current.FindInvitee(command.Invitee);
        if (entry is null)
        {
            return Fail(current, NotInvited(current));
        }

        if (current.State == InvitationState.Timeout)
        {
            return Fail(current, EndedError(current));
        }

        if (entry.State == InviteeState.Accepted)
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.InvalidState, "The invitee already accepted; end the call instead.") with
            {
                AnsweredUserId = entry.UserId,
                AnsweredDeviceId = entry.AnsweredBy,
            });
        }

        if (current.State == InvitationState.Accepted)
        {
            return Fail(current, EndedError(current));
        }

        if (entry.State == InviteeState.Rejected)
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.InvalidState, "The invitee already refused."));
        }

        if (current.State != InvitationState.Ringing || !entry.State.IsPending())
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.InvitationEnded, "The invitation was cancelled for this invitee."));
        }

        var entries = current.Invitees.Select(e => e.UserId == command.Invitee
            ? e with { State = InviteeState.Rejected, AnsweredBy = command.DeviceId, Reason = command.Reason, ExtendedData = command.ExtendedData, UpdateTime = now }
            : e).ToList();
        var next = Next(current, entries, now);

        InvitationEvent[] events =
        [
            NewEvent(next, InvitationEventNames.OutgoingInvitationRejected, next.Inviter) with
            {
                Invitee = command.Invitee,
                DeviceId = command.DeviceId,
                Reason = command.Reason,
                ExtendedData = command.ExtendedData,
            },
            NewEvent(next, InvitationEventNames.IncomingInvitationCancelled, command.Invitee) with
            {
                ExceptDeviceId = command.DeviceId,
                Invitee = command.Invitee,
                DeviceId = command.DeviceId,
                Reason = InvitationCancelReasons.DeclinedElsewhere,
            },
        ];
        return Changed(next, events);
    }

    private static InvitationUpdateResult MarkReceived(Invitation current, MarkReceivedCommand command, DateTimeOffset now)
    {
        var entry = current.FindInvitee(command.Invitee);
        if (entry is null)
        {
            return Fail(current, NotInvited(current));
        }

        // Idempotent: a second delivery, or a delivery that raced with an answer, changes nothing.
        if (current.State != InvitationState.Ringing || entry.State != InviteeState.Inviting)
        {
            return Unchanged(current);
        }

        var entries = current.Invitees.Select(e => e.UserId == command.Invitee ? e with { State = InviteeState.Received, UpdateTime = now } : e).ToList();
        return Changed(current with { Invitees = entries, Version = current.Version + 1 }, []);
    }

    private static InvitationUpdateResult EndCall(Invitation current, EndCallCommand command, DateTimeOffset now)
    {
        if (current.State != InvitationState.Accepted)
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.InvalidState, "Only an accepted call can be ended."));
        }

        if (command.UserId != current.Inviter && command.UserId != current.AcceptedInvitee?.UserId)
        {
            return Fail(current, InvitationError.About(current, InvitationErrorCodes.Forbidden, "Only the inviter or the accepting invitee can end the call."));
        }

        if (current.BusyUntil is not { } until || until <= now)
        {
            return Unchanged(current);
        }

        return Changed(current with { BusyUntil = now, Version = current.Version + 1 }, []);
    }

    private static InvitationUpdateResult TimeOut(Invitation current)
    {
        // Deterministic in the snapshot (times are the deadline, not "now") so that Project and the commit agree.
        var deadline = current.Deadline;
        var timedOut = current.Invitees.Where(e => e.State.IsPending()).Select(e => e.UserId).ToList();
        var next = current with
        {
            Invitees = current.Invitees.Select(e => e.State.IsPending() ? e with { State = InviteeState.Timeout, UpdateTime = deadline } : e).ToList(),
            State = InvitationState.Timeout,
            EndTime = deadline,
            Version = current.Version + 1,
        };

        var events = timedOut.ConvertAll(u => NewEvent(next, InvitationEventNames.IncomingInvitationTimeout, u) with { Invitee = u });
        events.Add(NewEvent(next, InvitationEventNames.OutgoingInvitationTimeout, next.Inviter) with { Invitees = timedOut.AsReadOnly() });
        return Changed(next, events);
    }

    /// <summary>Bumps the version and settles the invitation state when nobody is pending any more.</summary>
    private static Invitation Next(Invitation current, List<InviteeEntry> entries, DateTimeOffset now)
    {
        var next = current with { Invitees = entries, Version = current.Version + 1 };
        if (entries.Exists(e => e.State.IsPending()))
        {
            return next;
        }

        var state = entries.TrueForAll(e => e.State == InviteeState.Rejected) ? InvitationState.Rejected : InvitationState.Cancelled;
        return next with { State = state, EndTime = now };
    }

    private static InvitationError EndedError(Invitation current) => current.State switch
    {
        InvitationState.Timeout => InvitationError.About(current, InvitationErrorCodes.InvitationTimedOut, "The invitation timed out."),
        InvitationState.Accepted => InvitationError.About(current, InvitationErrorCodes.AlreadyAnswered, "The invitation was already accepted.") with
        {
            AnsweredUserId = current.AcceptedInvitee?.UserId,
            AnsweredDeviceId = current.AcceptedInvitee?.AnsweredBy,
        },
        _ => InvitationError.About(current, InvitationErrorCodes.InvitationEnded, $"The invitation was {current.State.ToWireString()}."),
    };

    private static InvitationError NotInvited(Invitation current) =>
        InvitationError.About(current, InvitationErrorCodes.NotInvited, "The user is not an invitee of this invitation.");

    private static InvitationEvent NewEvent(Invitation invitation, string name, string recipient) => new()
    {
        Recipient = recipient,
        Name = name,
        InvitationId = invitation.InvitationId,
        Version = invitation.Version,
        State = invitation.State,
        Inviter = invitation.Inviter,
        Deadline = invitation.Deadline,
    };

    private static InvitationUpdateResult Changed(Invitation next, IReadOnlyList<InvitationEvent> events) =>
        new() { Invitation = next, Changed = true, Events = events };

    private static InvitationUpdateResult Unchanged(Invitation current) => new() { Invitation = current };

    private static InvitationUpdateResult Fail(Invitation current, InvitationError error) => new() { Invitation = current, Error = error };
}
