using Signaling.Rooms.Invitations;
using Signaling.Rooms.Tests.TestSupport;

namespace Signaling.Rooms.Tests.Invitations;

public abstract partial class InvitationServiceSpecification
{
    [Fact]
    public async Task The_sweeper_times_out_pending_invitees_within_a_second_and_exactly_once()
    {
        var sweeper = await StartSweeperAsync();
        var sent = await Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["bob", "carol", "dave"], Timeout = 5 }).WithTimeout();
        var id = sent.Value!.InvitationId;
        var deadline = sent.Value.Deadline;
        AssertSuccess(await Service.RefuseAsync(id, "dave").WithTimeout());
        AssertSuccess(await Service.MarkReceivedAsync(id, "carol").WithTimeout());

        // Just before the deadline: nothing.
        await TickAsync(sweeper, deadline - Time.GetUtcNow() - TimeSpan.FromMilliseconds(1));
        Assert.Empty(Events.Named(InvitationEventNames.IncomingInvitationTimeout));
        Assert.Equal(InvitationState.Ringing, (await GetAsync(id)).State);

        // One sweep interval later the timeout is out, stamped no later than a second after the deadline.
        Time.Advance(Options.SweepInterval);
        await Events.WaitUntilAsync(e => e.Any(x => x.Name == InvitationEventNames.OutgoingInvitationTimeout));

        var published = Events.Published.Where(p => p.Event.Name.EndsWith("Timeout", StringComparison.Ordinal)).ToList();
        Assert.All(published, p => Assert.InRange(p.At, deadline, deadline + TimeSpan.FromSeconds(1)));

        // Many more sweeps change nothing.
        for (var i = 0; i < 8; i++)
        {
            await TickAsync(sweeper);
        }

        var incoming = Events.Named(InvitationEventNames.IncomingInvitationTimeout, id);
        Assert.Equal(["bob", "carol"], incoming.Select(e => e.Recipient).Order(StringComparer.Ordinal));
        Assert.All(incoming, e => Assert.Equal((InvitationState.Timeout, 4L, e.Recipient), (e.State, e.Version, e.Invitee)));
        var outgoing = Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout, id));
        Assert.Equal(("alice", 4L), (outgoing.Recipient, outgoing.Version));
        Assert.Equal(["bob", "carol"], outgoing.Invitees!);

        var invitation = await GetAsync(id);
        Assert.Equal((InvitationState.Timeout, 4L, deadline), (invitation.State, invitation.Version, invitation.EndTime));
        Assert.Equal([InviteeState.Timeout, InviteeState.Timeout, InviteeState.Rejected], invitation.Invitees.Select(e => e.State));
    }

    [Fact]
    public async Task A_late_operation_and_the_sweeper_together_time_out_once()
    {
        var sweeper = await StartSweeperAsync();
        var sent = await Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["bob"], Timeout = 2 }).WithTimeout();

        // The clock jumps past the deadline; an operation may get there before the sweeper.
        Time.Advance(TimeSpan.FromSeconds(2));
        var results = await Task.WhenAll(
            Task.Run(() => Service.AcceptAsync(sent.Value!.InvitationId, "bob")),
            Task.Run(() => Service.CancelAsync(sent.Value!.InvitationId, "alice"))).WithTimeout();
        Assert.All(results, r => Assert.Equal(InvitationErrorCodes.InvitationTimedOut, r.Error?.Code));

        for (var i = 0; i < 4; i++)
        {
            await TickAsync(sweeper);
        }

        Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));
        Assert.Single(Events.Named(InvitationEventNames.IncomingInvitationTimeout));
    }

    [Fact]
    public async Task Two_sweepers_on_one_store_time_out_each_invitation_once()
    {
        // Two nodes: two services and sweepers over the same store.
        var otherNode = new InvitationService(
            Store, Events, new TestOptionsMonitor<InvitationOptions>(Options), Microsoft.Extensions.Logging.Abstractions.NullLogger<InvitationService>.Instance);
        var first = await StartSweeperAsync();
        var second = await StartSweeperAsync(otherNode);

        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add((await SendAsync($"caller{i}", $"callee{i}", $"other{i}")).InvitationId);
        }

        Time.Advance(TimeSpan.FromSeconds(Options.DefaultTimeout));
        await Events.WaitUntilAsync(e => e.Count(x => x.Name == InvitationEventNames.OutgoingInvitationTimeout) >= ids.Count);
        for (var i = 0; i < 4; i++)
        {
            var before = (first.CompletedSweeps, second.CompletedSweeps);
            Time.Advance(Options.SweepInterval);
            await TestTimeouts.WaitUntilAsync(() => first.CompletedSweeps > before.Item1 && second.CompletedSweeps > before.Item2, "both sweepers");
        }

        Assert.All(ids, id =>
        {
            Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout, id));
            Assert.Equal(2, Events.Named(InvitationEventNames.IncomingInvitationTimeout, id).Count);
        });
    }

    [Fact]
    public async Task A_claimed_timeout_that_was_never_committed_is_retried_after_the_lease()
    {
        var sent = await SendAsync("alice", "bob");
        Time.Advance(TimeSpan.FromSeconds(Options.DefaultTimeout));

        // A node claims the entry and dies before committing.
        Assert.Equal([sent.InvitationId], await Store.ClaimDueAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None).WithTimeout());
        Assert.Empty(await Store.ClaimDueAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None).WithTimeout());
        Assert.Equal(0, await Service.ExpireDueAsync(CancellationToken.None).WithTimeout());

        Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await Service.ExpireDueAsync(CancellationToken.None).WithTimeout());
        Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));
        Assert.Equal(0, await Service.ExpireDueAsync(CancellationToken.None).WithTimeout());
    }

    [Fact]
    public async Task Answered_invitations_never_time_out()
    {
        var sweeper = await StartSweeperAsync();
        var accepted = await SendAsync("alice", "bob");
        var rejected = await SendAsync("carol", "dave");
        var cancelled = await SendAsync("erin", "frank");
        AssertSuccess(await Service.AcceptAsync(accepted.InvitationId, "bob").WithTimeout());
        AssertSuccess(await Service.RefuseAsync(rejected.InvitationId, "dave").WithTimeout());
        AssertSuccess(await Service.CancelAsync(cancelled.InvitationId, "erin").WithTimeout());

        await TickAsync(sweeper, TimeSpan.FromSeconds(Options.DefaultTimeout + 1));
        await TickAsync(sweeper);

        Assert.Empty(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));
        Assert.Empty(Events.Named(InvitationEventNames.IncomingInvitationTimeout));
        Assert.Equal(InvitationState.Accepted, (await GetAsync(accepted.InvitationId)).State);
    }
}
