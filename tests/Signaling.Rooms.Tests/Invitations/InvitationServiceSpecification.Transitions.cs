using Signaling.Rooms.Invitations;
using Signaling.Rooms.Tests.TestSupport;

namespace Signaling.Rooms.Tests.Invitations;

public abstract partial class InvitationServiceSpecification
{
    // ---------------------------------------------------------------- cancel

    [Fact]
    public async Task Cancel_by_the_inviter_cancels_every_pending_invitee()
    {
        var sent = await SendAsync("alice", "bob", "carol", "dave");
        AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "dave").WithTimeout());
        Events.Clear();
        Time.Advance(TimeSpan.FromSeconds(3));

        var cancelled = AssertSuccess(await Service.CancelAsync(sent.InvitationId, "alice", extendedData: "bye").WithTimeout());

        Assert.Equal(InvitationState.Cancelled, cancelled.State);
        Assert.Equal(3, cancelled.Version);
        Assert.Equal(Time.GetUtcNow(), cancelled.EndTime);
        Assert.Equal(
            [InviteeState.Cancelled, InviteeState.Cancelled, InviteeState.Rejected],
            cancelled.Invitees.Select(e => e.State));
        Assert.All(cancelled.Invitees.Take(2), e =>
        {
            Assert.Equal(InvitationCancelReasons.CallerCancelled, e.Reason);
            Assert.Equal("bye", e.ExtendedData);
            Assert.Equal(Time.GetUtcNow(), e.UpdateTime);
        });

        Assert.Equal(["bob", "carol"], Events.Events.Select(e => e.Recipient));
        Assert.All(Events.Events, e =>
        {
            Assert.Equal(InvitationEventNames.IncomingInvitationCancelled, e.Name);
            Assert.Equal(InvitationCancelReasons.CallerCancelled, e.Reason);
            Assert.Equal("bye", e.ExtendedData);
            Assert.Equal(3, e.Version);
            Assert.Equal(InvitationState.Cancelled, e.State);
            Assert.Equal(e.Recipient, e.Invitee);
        });
        Assert.Equal(cancelled, await GetAsync(sent.InvitationId));
    }

    [Fact]
    public async Task Cancel_of_some_invitees_keeps_ringing_the_others()
    {
        var sent = await SendAsync("alice", "bob", "carol");

        var partly = AssertSuccess(await Service.CancelAsync(sent.InvitationId, "alice", ["bob"]).WithTimeout());
        Assert.Equal(InvitationState.Ringing, partly.State);
        Assert.Equal([InviteeState.Cancelled, InviteeState.Inviting], partly.Invitees.Select(e => e.State));
        Assert.Equal(["bob"], Events.Named(InvitationEventNames.IncomingInvitationCancelled).Select(e => e.Recipient));

        // Cancelled invitees can no longer answer.
        AssertError(await Service.AcceptAsync(sent.InvitationId, "bob").WithTimeout(), InvitationErrorCodes.InvitationEnded);
        AssertError(await Service.RefuseAsync(sent.InvitationId, "bob").WithTimeout(), InvitationErrorCodes.InvitationEnded);
        AssertError(await Service.CancelAsync(sent.InvitationId, "alice", ["bob"]).WithTimeout(), InvitationErrorCodes.InvalidState);

        var all = AssertSuccess(await Service.CancelAsync(sent.InvitationId, "alice", ["carol"]).WithTimeout());
        Assert.Equal(InvitationState.Cancelled, all.State);
        Assert.Equal(3, all.Version);
    }

    [Fact]
    public async Task Cancel_naming_someone_not_invited_is_invalid_parameter()
    {
        var sent = await SendAsync("alice", "bob");
        var error = AssertError(await Service.CancelAsync(sent.InvitationId, "alice", ["bob", "zed"]).WithTimeout(), InvitationErrorCodes.InvalidParameter);
        Assert.Contains("invitees", error.FieldErrors!.Keys);
        Assert.Equal(1, error.Version);
        Assert.Equal(InvitationState.Ringing, (await GetAsync(sent.InvitationId)).State);
    }

    [Fact]
    public async Task Cancel_by_anyone_but_the_inviter_is_forbidden()
    {
        var sent = await SendAsync("alice", "bob");
        var error = AssertError(await Service.CancelAsync(sent.InvitationId, "bob").WithTimeout(), InvitationErrorCodes.Forbidden);
        Assert.Equal(InvitationState.Ringing, error.State);
        Assert.Equal(1, error.Version);
        Assert.Equal(sent.InvitationId, error.InvitationId);
        Assert.Empty(Events.Named(InvitationEventNames.IncomingInvitationCancelled));
    }

    [Fact]
    public async Task Cancel_after_an_accept_is_already_answered_naming_who()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "carol", "tablet").WithTimeout());

        var error = AssertError(await Service.CancelAsync(sent.InvitationId, "alice").WithTimeout(), InvitationErrorCodes.AlreadyAnswered);
        Assert.Equal("carol", error.AnsweredUserId);
        Assert.Equal("tablet", error.AnsweredDeviceId);
        Assert.Equal(InvitationState.Accepted, error.State);
        Assert.Equal(2, error.Version);
    }

    [Fact]
    public async Task Cancel_after_the_invitation_ended_otherwise()
    {
        var cancelled = await SendAsync("alice", "bob");
        AssertSuccess(await Service.CancelAsync(cancelled.InvitationId, "alice").WithTimeout());
        AssertError(await Service.CancelAsync(cancelled.InvitationId, "alice").WithTimeout(), InvitationErrorCodes.InvitationEnded);

        var rejected = await SendAsync("alice", "carol");
        AssertSuccess(await Service.RefuseAsync(rejected.InvitationId, "carol").WithTimeout());
        var error = AssertError(await Service.CancelAsync(rejected.InvitationId, "alice").WithTimeout(), InvitationErrorCodes.InvitationEnded);
        Assert.Equal(InvitationState.Rejected, error.State);

        var timedOut = await SendAsync("alice", "dave");
        Time.Advance(TimeSpan.FromSeconds(Options.DefaultTimeout));
        var late = AssertError(await Service.CancelAsync(timedOut.InvitationId, "alice").WithTimeout(), InvitationErrorCodes.InvitationTimedOut);
        Assert.Equal(InvitationState.Timeout, late.State);
        Assert.Equal(2, late.Version);
    }

    [Fact]
    public async Task Operations_on_an_unknown_invitation_are_invitation_not_found()
    {
        AssertError(await Service.CancelAsync("missing", "alice").WithTimeout(), InvitationErrorCodes.InvitationNotFound);
        AssertError(await Service.AcceptAsync("missing", "bob").WithTimeout(), InvitationErrorCodes.InvitationNotFound);
        AssertError(await Service.RefuseAsync("missing", "bob").WithTimeout(), InvitationErrorCodes.InvitationNotFound);
        AssertError(await Service.MarkReceivedAsync("missing", "bob").WithTimeout(), InvitationErrorCodes.InvitationNotFound);
        AssertError(await Service.GetAsync("missing").WithTimeout(), InvitationErrorCodes.InvitationNotFound);
        AssertError(await Service.GetAsync("").WithTimeout(), InvitationErrorCodes.InvitationNotFound);
        var error = AssertError(await Service.GetAsync(new string('x', 300)).WithTimeout(), InvitationErrorCodes.InvitationNotFound);
        Assert.Null(error.State);
        Assert.Null(error.Version);
    }

    // ---------------------------------------------------------------- accept

    [Fact]
    public async Task Accept_answers_the_call_and_cancels_the_other_pending_invitees()
    {
        var sent = await SendAsync("alice", "bob", "carol", "dave");
        AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "dave").WithTimeout());
        AssertSuccess(await Service.MarkReceivedAsync(sent.InvitationId, "bob").WithTimeout());
        Events.Clear();
        Time.Advance(TimeSpan.FromSeconds(2));

        var accepted = AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "bob", "phone", "sdp").WithTimeout());

        var now = Time.GetUtcNow();
        Assert.Equal(InvitationState.Accepted, accepted.State);
        Assert.Equal(4, accepted.Version);
        Assert.Equal(now, accepted.EndTime);
        var bob = accepted.Invitees[0];
        Assert.Equal((InviteeState.Accepted, "phone", "sdp", now), (bob.State, bob.AnsweredBy, bob.ExtendedData, bob.UpdateTime));
        Assert.Null(bob.Reason);
        var carol = accepted.Invitees[1];
        Assert.Equal((InviteeState.Cancelled, InvitationCancelReasons.AnsweredByOther, now), (carol.State, carol.Reason, carol.UpdateTime));
        Assert.Equal(InviteeState.Rejected, accepted.Invitees[2].State);
        Assert.Equal("bob", accepted.AcceptedInvitee!.UserId);

        var events = Events.Events;
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal((4L, InvitationState.Accepted), (e.Version, e.State)));

        var toInviter = Assert.Single(events, e => e.Name == InvitationEventNames.OutgoingInvitationAccepted);
        Assert.Equal(("alice", "bob", "phone", "sdp"), (toInviter.Recipient, toInviter.Invitee, toInviter.DeviceId, toInviter.ExtendedData));
        Assert.Null(toInviter.ExceptDeviceId);

        var elsewhere = Assert.Single(events, e => e.Reason == InvitationCancelReasons.AnsweredElsewhere);
        Assert.Equal(InvitationEventNames.IncomingInvitationCancelled, elsewhere.Name);
        Assert.Equal(("bob", "phone", "phone"), (elsewhere.Recipient, elsewhere.ExceptDeviceId, elsewhere.DeviceId));

        var byOther = Assert.Single(events, e => e.Reason == InvitationCancelReasons.AnsweredByOther);
        Assert.Equal(InvitationEventNames.IncomingInvitationCancelled, byOther.Name);
        Assert.Equal(("carol", "carol", "bob"), (byOther.Recipient, byOther.Invitee, byOther.AnsweredUserId));
        Assert.Null(byOther.ExceptDeviceId);
    }

    [Fact]
    public async Task Accept_without_a_device_tells_every_device_of_the_invitee()
    {
        var sent = await SendAsync("alice", "bob");
        AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "bob").WithTimeout());
        var elsewhere = Assert.Single(Events.Events, e => e.Reason == InvitationCancelReasons.AnsweredElsewhere);
        Assert.Null(elsewhere.ExceptDeviceId);
    }

    [Fact]
    public async Task Accept_by_someone_not_invited_is_not_invited()
    {
        var sent = await SendAsync("alice", "bob");
        var error = AssertError(await Service.AcceptAsync(sent.InvitationId, "mallory").WithTimeout(), InvitationErrorCodes.NotInvited);
        Assert.Equal((InvitationState.Ringing, 1L), (error.State, error.Version));
        AssertError(await Service.AcceptAsync(sent.InvitationId, "alice").WithTimeout(), InvitationErrorCodes.NotInvited);
    }

    [Fact]
    public async Task Accept_after_cancel_is_invitation_ended()
    {
        var sent = await SendAsync("alice", "bob");
        AssertSuccess(await Service.CancelAsync(sent.InvitationId, "alice").WithTimeout());
        var error = AssertError(await Service.AcceptAsync(sent.InvitationId, "bob").WithTimeout(), InvitationErrorCodes.InvitationEnded);
        Assert.Equal((InvitationState.Cancelled, 2L), (error.State, error.Version));
    }

    [Fact]
    public async Task Accept_after_timeout_is_invitation_timed_out_even_before_the_sweeper_ran()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        Time.Advance(TimeSpan.FromSeconds(Options.DefaultTimeout));

        var error = AssertError(await Service.AcceptAsync(sent.InvitationId, "bob").WithTimeout(), InvitationErrorCodes.InvitationTimedOut);
        Assert.Equal((InvitationState.Timeout, 2L), (error.State, error.Version));

        // The late operation committed the timeout, and its events went out once.
        var invitation = await GetAsync(sent.InvitationId);
        Assert.Equal(InvitationState.Timeout, invitation.State);
        Assert.All(invitation.Invitees, e => Assert.Equal((InviteeState.Timeout, sent.Deadline), (e.State, e.UpdateTime)));
        Assert.Equal(2, Events.Named(InvitationEventNames.IncomingInvitationTimeout).Count);
        Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));

        AssertError(await Service.AcceptAsync(sent.InvitationId, "carol").WithTimeout(), InvitationErrorCodes.InvitationTimedOut);
        AssertError(await Service.RefuseAsync(sent.InvitationId, "carol").WithTimeout(), InvitationErrorCodes.InvitationTimedOut);
        Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));
    }

    [Fact]
    public async Task Accept_one_tick_before_the_deadline_still_wins()
    {
        var sent = await SendAsync("alice", "bob");
        Time.Advance(TimeSpan.FromSeconds(Options.DefaultTimeout) - TimeSpan.FromTicks(1));
        AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "bob").WithTimeout());
        Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(InvitationState.Accepted, (await GetAsync(sent.InvitationId)).State);
        Assert.Empty(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));
    }

    [Fact]
    public async Task Accept_after_another_accept_is_already_answered_naming_who()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "bob", "phone").WithTimeout());

        foreach (var (user, device) in new[] { ("carol", "laptop"), ("bob", "tablet"), ("bob", "phone") })
        {
            var error = AssertError(await Service.AcceptAsync(sent.InvitationId, user, device).WithTimeout(), InvitationErrorCodes.AlreadyAnswered);
            Assert.Equal(("bob", "phone", InvitationState.Accepted, 2L), (error.AnsweredUserId, error.AnsweredDeviceId, error.State, error.Version));
        }
    }

    [Fact]
    public async Task Accept_after_refusing_is_invalid_state()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "bob").WithTimeout());
        var error = AssertError(await Service.AcceptAsync(sent.InvitationId, "bob").WithTimeout(), InvitationErrorCodes.InvalidState);
        Assert.Equal((InvitationState.Ringing, 2L), (error.State, error.Version));
    }

    [Fact]
    public async Task Answers_validate_their_fields()
    {
        var sent = await SendAsync("alice", "bob");
        var accept = AssertError(
            await Service.AcceptAsync(sent.InvitationId, "bob", " ", Utf8OfLength(2049)).WithTimeout(), InvitationErrorCodes.InvalidParameter);
        Assert.Equal(["deviceId", "extendedData"], accept.FieldErrors!.Keys.Order(StringComparer.Ordinal));

        var refuse = AssertError(
            await Service.RefuseAsync(sent.InvitationId, "bob", reason: new string('r', 257)).WithTimeout(), InvitationErrorCodes.InvalidParameter);
        Assert.Equal(["reason"], refuse.FieldErrors!.Keys);

        var cancel = AssertError(
            await Service.CancelAsync(sent.InvitationId, "alice", extendedData: Utf8OfLength(2049)).WithTimeout(), InvitationErrorCodes.InvalidParameter);
        Assert.Equal(["extendedData"], cancel.FieldErrors!.Keys);

        Assert.Equal(1, (await GetAsync(sent.InvitationId)).Version);
    }

    [Fact]
    public async Task Of_two_concurrent_accepts_from_two_devices_exactly_one_wins()
    {
        for (var round = 0; round < 200; round++)
        {
            var sent = await SendAsync("alice", "bob");
            var results = await Task.WhenAll(
                Task.Run(() => Service.AcceptAsync(sent.InvitationId, "bob", "phone")),
                Task.Run(() => Service.AcceptAsync(sent.InvitationId, "bob", "laptop"))).WithTimeout();

            var winner = Assert.Single(results, r => r.IsSuccess);
            var loser = Assert.Single(results, r => !r.IsSuccess);
            var winningDevice = winner.Value!.AcceptedInvitee!.AnsweredBy;
            Assert.Equal(InvitationErrorCodes.AlreadyAnswered, loser.Error!.Code);
            Assert.Equal(("bob", winningDevice), (loser.Error.AnsweredUserId, loser.Error.AnsweredDeviceId));
            Assert.Equal(2, winner.Value.Version);
            Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationAccepted, sent.InvitationId));
            var elsewhere = Assert.Single(Events.For(sent.InvitationId), e => e.Reason == InvitationCancelReasons.AnsweredElsewhere);
            Assert.Equal(winningDevice, elsewhere.ExceptDeviceId);
        }
    }

    [Fact]
    public async Task Of_two_concurrent_accepts_from_two_invitees_exactly_one_wins()
    {
        for (var round = 0; round < 200; round++)
        {
            var sent = await SendAsync("alice", "bob", "carol");
            var results = await Task.WhenAll(
                Task.Run(() => Service.AcceptAsync(sent.InvitationId, "bob", "b1")),
                Task.Run(() => Service.AcceptAsync(sent.InvitationId, "carol", "c1"))).WithTimeout();

            var winner = Assert.Single(results, r => r.IsSuccess).Value!;
            var loser = Assert.Single(results, r => !r.IsSuccess).Error!;
            var accepted = winner.AcceptedInvitee!;
            Assert.Equal(InvitationErrorCodes.AlreadyAnswered, loser.Code);
            Assert.Equal((accepted.UserId, accepted.AnsweredBy), (loser.AnsweredUserId, loser.AnsweredDeviceId));
            var other = Assert.Single(winner.Invitees, e => e.UserId != accepted.UserId);
            Assert.Equal((InviteeState.Cancelled, InvitationCancelReasons.AnsweredByOther), (other.State, other.Reason));
            Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationAccepted, sent.InvitationId));
            var byOther = Assert.Single(Events.For(sent.InvitationId), e => e.Reason == InvitationCancelReasons.AnsweredByOther);
            Assert.Equal(other.UserId, byOther.Recipient);
        }
    }

    // ---------------------------------------------------------------- refuse

    [Fact]
    public async Task Refuse_rejects_the_invitee_and_keeps_ringing_the_others()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        Events.Clear();

        var refused = AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "bob", "phone", extendedData: "sorry").WithTimeout());

        Assert.Equal((InvitationState.Ringing, 2L), (refused.State, refused.Version));
        var bob = refused.Invitees[0];
        Assert.Equal((InviteeState.Rejected, "phone", InvitationService.DefaultRefuseReason, "sorry"), (bob.State, bob.AnsweredBy, bob.Reason, bob.ExtendedData));

        var toInviter = Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationRejected));
        Assert.Equal(("alice", "bob", "phone", "decline", "sorry"), (toInviter.Recipient, toInviter.Invitee, toInviter.DeviceId, toInviter.Reason, toInviter.ExtendedData));
        Assert.Equal((2L, InvitationState.Ringing), (toInviter.Version, toInviter.State));

        var elsewhere = Assert.Single(Events.Named(InvitationEventNames.IncomingInvitationCancelled));
        Assert.Equal(("bob", "phone", InvitationCancelReasons.DeclinedElsewhere), (elsewhere.Recipient, elsewhere.ExceptDeviceId, elsewhere.Reason));
        Assert.Equal(2, Events.Events.Count);
    }

    [Fact]
    public async Task When_every_invitee_refused_the_invitation_is_rejected()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "bob", reason: "busy").WithTimeout());
        var rejected = AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "carol", reason: "in a meeting").WithTimeout());

        Assert.Equal((InvitationState.Rejected, 3L), (rejected.State, rejected.Version));
        Assert.Equal(Time.GetUtcNow(), rejected.EndTime);
        Assert.Equal(["busy", "in a meeting"], rejected.Invitees.Select(e => e.Reason));
        var toInviter = Events.Named(InvitationEventNames.OutgoingInvitationRejected);
        Assert.Equal([(2L, InvitationState.Ringing), (3L, InvitationState.Rejected)], toInviter.Select(e => (e.Version, e.State)));
    }

    [Fact]
    public async Task When_nobody_is_left_pending_but_not_all_refused_the_invitation_is_cancelled()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        AssertSuccess(await Service.CancelAsync(sent.InvitationId, "alice", ["bob"]).WithTimeout());
        var last = AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "carol").WithTimeout());
        Assert.Equal(InvitationState.Cancelled, last.State);
    }

    [Fact]
    public async Task Refuse_after_accepting_is_invalid_state()
    {
        var sent = await SendAsync("alice", "bob");
        AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "bob", "phone").WithTimeout());
        var error = AssertError(await Service.RefuseAsync(sent.InvitationId, "bob", "laptop").WithTimeout(), InvitationErrorCodes.InvalidState);
        Assert.Equal(("bob", "phone", InvitationState.Accepted, 2L), (error.AnsweredUserId, error.AnsweredDeviceId, error.State, error.Version));
    }

    [Fact]
    public async Task Refuse_after_someone_else_accepted_is_already_answered()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "carol", "c1").WithTimeout());
        var error = AssertError(await Service.RefuseAsync(sent.InvitationId, "bob").WithTimeout(), InvitationErrorCodes.AlreadyAnswered);
        Assert.Equal(("carol", "c1"), (error.AnsweredUserId, error.AnsweredDeviceId));
    }

    [Fact]
    public async Task Refuse_twice_is_invalid_state_and_after_cancel_invitation_ended()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "bob", "phone").WithTimeout());
        AssertError(await Service.RefuseAsync(sent.InvitationId, "bob", "laptop").WithTimeout(), InvitationErrorCodes.InvalidState);
        AssertError(await Service.RefuseAsync(sent.InvitationId, "mallory").WithTimeout(), InvitationErrorCodes.NotInvited);

        AssertSuccess(await Service.CancelAsync(sent.InvitationId, "alice").WithTimeout());
        AssertError(await Service.RefuseAsync(sent.InvitationId, "carol").WithTimeout(), InvitationErrorCodes.InvitationEnded);
        Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationRejected));
    }

    [Fact]
    public async Task A_refuse_racing_an_accept_by_the_same_invitee_has_exactly_one_winner()
    {
        var accepts = 0;
        for (var round = 0; round < 200; round++)
        {
            var sent = await SendAsync("alice", "bob");
            var results = await Task.WhenAll(
                Task.Run(() => Service.AcceptAsync(sent.InvitationId, "bob", "phone")),
                Task.Run(() => Service.RefuseAsync(sent.InvitationId, "bob", "laptop"))).WithTimeout();

            var winner = Assert.Single(results, r => r.IsSuccess).Value!;
            var loser = Assert.Single(results, r => !r.IsSuccess).Error!;
            Assert.Equal(InvitationErrorCodes.InvalidState, loser.Code);
            Assert.Equal(2, winner.Version);
            if (winner.State == InvitationState.Accepted)
            {
                accepts++;
                Assert.Empty(Events.Named(InvitationEventNames.OutgoingInvitationRejected, sent.InvitationId));
            }
            else
            {
                Assert.Equal(InvitationState.Rejected, winner.State);
                Assert.Empty(Events.Named(InvitationEventNames.OutgoingInvitationAccepted, sent.InvitationId));
            }
        }

        Assert.InRange(accepts, 0, 200);
    }

    // ---------------------------------------------------------------- received

    [Fact]
    public async Task MarkReceived_moves_inviting_to_received_once()
    {
        var sent = await SendAsync("alice", "bob", "carol");
        Time.Advance(TimeSpan.FromSeconds(1));

        var received = AssertSuccess(await Service.MarkReceivedAsync(sent.InvitationId, "bob").WithTimeout());
        Assert.Equal(2, received.Version);
        Assert.Equal((InviteeState.Received, Time.GetUtcNow()), (received.Invitees[0].State, received.Invitees[0].UpdateTime));
        Assert.Equal(InviteeState.Inviting, received.Invitees[1].State);

        var again = AssertSuccess(await Service.MarkReceivedAsync(sent.InvitationId, "bob").WithTimeout());
        Assert.Equal(received, again);

        AssertError(await Service.MarkReceivedAsync(sent.InvitationId, "mallory").WithTimeout(), InvitationErrorCodes.NotInvited);

        var accepted = AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "bob").WithTimeout());
        Assert.Equal(3, accepted.Version);
        Assert.Equal(accepted, AssertSuccess(await Service.MarkReceivedAsync(sent.InvitationId, "carol").WithTimeout()));
        Assert.Equal(1, Events.Events.Count(e => e.Name == InvitationEventNames.OutgoingInvitationAccepted));
    }

    [Fact]
    public async Task MarkReceived_and_EndCall_after_the_deadline_see_the_timeout()
    {
        var sent = await SendAsync("alice", "bob");
        Time.Advance(TimeSpan.FromSeconds(Options.DefaultTimeout));

        var received = AssertSuccess(await Service.MarkReceivedAsync(sent.InvitationId, "bob").WithTimeout());
        Assert.Equal((InvitationState.Timeout, 2L, InviteeState.Timeout), (received.State, received.Version, received.Invitees[0].State));
        Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));

        var endCall = AssertError(await Service.EndCallAsync(sent.InvitationId, "alice").WithTimeout(), InvitationErrorCodes.InvalidState);
        Assert.Equal(InvitationState.Timeout, endCall.State);
        Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));
    }

    [Fact]
    public async Task Cancel_naming_more_than_the_maximum_invitees_is_invalid_parameter()
    {
        var sent = await SendAsync("alice", "bob");
        var names = Enumerable.Range(0, 10).Select(i => $"u{i}").ToArray();
        var error = AssertError(await Service.CancelAsync(sent.InvitationId, "alice", names).WithTimeout(), InvitationErrorCodes.InvalidParameter);
        Assert.Equal(["invitees"], error.FieldErrors!.Keys);
    }

    [Fact]
    public async Task Versions_grow_by_one_with_every_transition_and_events_carry_them()
    {
        var sent = await SendAsync("alice", "bob", "carol", "dave");
        var versions = new List<long> { 1 };
        versions.Add(AssertSuccess(await Service.MarkReceivedAsync(sent.InvitationId, "bob").WithTimeout()).Version);
        versions.Add(AssertSuccess(await Service.RefuseAsync(sent.InvitationId, "dave").WithTimeout()).Version);
        versions.Add(AssertSuccess(await Service.CancelAsync(sent.InvitationId, "alice", ["carol"]).WithTimeout()).Version);
        versions.Add(AssertSuccess(await Service.AcceptAsync(sent.InvitationId, "bob").WithTimeout()).Version);
        versions.Add(AssertSuccess(await Service.EndCallAsync(sent.InvitationId, "bob").WithTimeout()).Version);

        Assert.Equal([1L, 2, 3, 4, 5, 6], versions);
        Assert.Equal([1L, 3, 4, 5], Events.For(sent.InvitationId).Select(e => e.Version).Distinct());
    }

    // ---------------------------------------------------------------- get and list

    [Fact]
    public async Task ListForUser_filters_by_role_and_state()
    {
        var first = await SendAsync("alice", "bob", "carol");
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = await SendAsync("dave", "bob");
        Time.Advance(TimeSpan.FromSeconds(1));
        var third = await SendAsync("bob", "erin");
        AssertSuccess(await Service.RefuseAsync(first.InvitationId, "bob").WithTimeout());

        async Task<string[]> Ids(string user, InvitationRole role, InvitationStateFilter? state = null) =>
            (await Service.ListForUserAsync(user, role, state).WithTimeout()).Select(i => i.InvitationId).ToArray();

        Assert.Equal([second.InvitationId, first.InvitationId], await Ids("bob", InvitationRole.Incoming));
        Assert.Equal([second.InvitationId], await Ids("bob", InvitationRole.Incoming, InvitationStateFilter.Pending));
        Assert.Equal([second.InvitationId, first.InvitationId], await Ids("bob", InvitationRole.Incoming, InvitationStateFilter.Ringing));
        Assert.Equal([third.InvitationId], await Ids("bob", InvitationRole.Outgoing, InvitationStateFilter.Pending));
        Assert.Equal([first.InvitationId], await Ids("carol", InvitationRole.Incoming, InvitationStateFilter.Pending));
        Assert.Equal([first.InvitationId], await Ids("alice", InvitationRole.Outgoing, InvitationStateFilter.Pending));
        Assert.Empty(await Ids("alice", InvitationRole.Incoming));
        Assert.Empty(await Ids("nobody", InvitationRole.Outgoing));

        AssertSuccess(await Service.AcceptAsync(second.InvitationId, "bob").WithTimeout());
        AssertSuccess(await Service.CancelAsync(third.InvitationId, "bob").WithTimeout());
        AssertSuccess(await Service.RefuseAsync(first.InvitationId, "carol").WithTimeout());
        Assert.Empty(await Ids("bob", InvitationRole.Incoming, InvitationStateFilter.Pending));
        Assert.Equal([second.InvitationId], await Ids("bob", InvitationRole.Incoming, InvitationStateFilter.Accepted));
        Assert.Equal([first.InvitationId], await Ids("bob", InvitationRole.Incoming, InvitationStateFilter.Rejected));
        Assert.Equal([third.InvitationId], await Ids("bob", InvitationRole.Outgoing, InvitationStateFilter.Cancelled));
    }

    [Fact]
    public async Task Reads_after_the_deadline_show_the_timeout_before_anyone_commits_it()
    {
        var sent = await SendAsync("alice", "bob");
        Time.Advance(TimeSpan.FromSeconds(Options.DefaultTimeout));

        var read = await GetAsync(sent.InvitationId);
        Assert.Equal((InvitationState.Timeout, 2L, sent.Deadline), (read.State, read.Version, read.EndTime));
        Assert.Equal(InviteeState.Timeout, read.Invitees[0].State);
        Assert.Empty(await Service.ListForUserAsync("bob", InvitationRole.Incoming, InvitationStateFilter.Pending).WithTimeout());
        Assert.Single(await Service.ListForUserAsync("bob", InvitationRole.Incoming, InvitationStateFilter.Timeout).WithTimeout());
        Assert.Empty(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));

        // The commit (here by the sweeper's path) produces exactly what readers already saw.
        Assert.Equal(1, await Service.ExpireDueAsync(CancellationToken.None).WithTimeout());
        var committed = await GetAsync(sent.InvitationId);
        Assert.Equal(read, committed);
    }

    [Fact]
    public async Task Finished_invitations_are_dropped_after_their_retention()
    {
        Options.Retention = TimeSpan.FromMinutes(10);
        var sent = await SendAsync("alice", "bob");
        var ringing = await SendAsync("carol", "dave");
        AssertSuccess(await Service.CancelAsync(sent.InvitationId, "alice").WithTimeout());

        Time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        await Store.RemoveExpiredAsync(CancellationToken.None).WithTimeout();
        Assert.Equal(InvitationState.Cancelled, (await GetAsync(sent.InvitationId)).State);

        Time.Advance(TimeSpan.FromTicks(1));
        await Service.ExpireDueAsync(CancellationToken.None).WithTimeout();
        await Store.RemoveExpiredAsync(CancellationToken.None).WithTimeout();
        AssertError(await Service.GetAsync(sent.InvitationId).WithTimeout(), InvitationErrorCodes.InvitationNotFound);
        Assert.Empty(await Service.ListForUserAsync("alice", InvitationRole.Outgoing).WithTimeout());
        Assert.Empty(await Service.ListForUserAsync("bob", InvitationRole.Incoming).WithTimeout());

        // The other one ended later (at its deadline), so it stays readable for its own retention.
        Assert.Equal(InvitationState.Timeout, (await GetAsync(ringing.InvitationId)).State);
    }
}
