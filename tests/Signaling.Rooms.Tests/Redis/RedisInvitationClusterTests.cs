using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Redis;
using Signaling.Rooms.Tests.TestSupport;
using Signaling.TestKit;
using StackExchange.Redis;

namespace Signaling.Rooms.Tests.Redis;

/// <summary>Invitations handled by two nodes, each with its own connection, on one Redis and one (manual) clock.</summary>
public sealed class RedisInvitationClusterTests(RedisServerFixture redis) : IAsyncDisposable
{
    private readonly string _prefix = RedisTestConnections.NewPrefix();
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly ManualTimeProvider _time = new();
    private readonly InvitationOptions _options = new();

    private RecordingEventSink? _events;

    private RecordingEventSink Events => _events ??= new RecordingEventSink(_time);

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private async Task<(ConnectionMultiplexer Redis, IInvitationStore Store, InvitationService Service)> NodeAsync()
    {
        var multiplexer = await RedisTestConnections.ConnectAsync(redis).WithTimeout();
        _owned.Add(multiplexer);
        var monitor = new TestOptionsMonitor<InvitationOptions>(_options);
        var store = new RedisInvitationStore(multiplexer, _time, monitor, Options.Create(new RoomsRedisOptions { KeyPrefix = _prefix }));
        return (multiplexer, store, new InvitationService(store, Events, monitor, NullLogger<InvitationService>.Instance));
    }

    private async Task<InvitationTimeoutSweeper> StartSweeperAsync(InvitationService service, IInvitationStore store)
    {
        var sweeper = new InvitationTimeoutSweeper(
            service, store, _time, new TestOptionsMonitor<InvitationOptions>(_options), NullLogger<InvitationTimeoutSweeper>.Instance);
        _owned.Add(new StopOnDispose(sweeper));
        var timers = _time.TimerCount;
        await sweeper.StartAsync(TestContext.Current.CancellationToken).WithTimeout();
        await TestTimeouts.WaitUntilAsync(() => _time.TimerCount > timers, "the sweeper's timer");
        return sweeper;
    }

    private async Task TickAsync(params InvitationTimeoutSweeper[] sweepers)
    {
        var before = sweepers.Select(s => s.CompletedSweeps).ToArray();
        _time.Advance(_options.SweepInterval);
        await TestTimeouts.WaitUntilAsync(() => sweepers.Select((s, i) => s.CompletedSweeps > before[i]).All(x => x), "a sweep on every node");
    }

    [Fact]
    public async Task An_invitation_sent_through_a_node_that_is_gone_times_out_exactly_once_on_another()
    {
        var a = await NodeAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var sent = await a.Service.SendAsync(new SendInvitationRequest { Inviter = $"caller{i}", Invitees = ["bob", "carol"], Timeout = 5 }).WithTimeout();
            ids.Add(sent.Value!.InvitationId);
        }

        // Node A stops for good before any deadline; only node B sweeps.
        await a.Redis.CloseAsync(allowCommandsToComplete: false).WithTimeout();
        var b = await NodeAsync();
        var sweeper = await StartSweeperAsync(b.Service, b.Store);

        _time.Advance(TimeSpan.FromSeconds(5));
        await Events.WaitUntilAsync(e => e.Count(x => x.Name == InvitationEventNames.OutgoingInvitationTimeout) == ids.Count);
        for (var i = 0; i < 6; i++)
        {
            await TickAsync(sweeper);
        }

        Assert.All(ids, id =>
        {
            Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout, id));
            Assert.Equal(["bob", "carol"], Events.Named(InvitationEventNames.IncomingInvitationTimeout, id).Select(e => e.Recipient).Order(StringComparer.Ordinal));
        });
        foreach (var id in ids)
        {
            var invitation = await b.Store.GetAsync(id, CancellationToken.None).WithTimeout();
            Assert.Equal((InvitationState.Timeout, 2L), (invitation!.State, invitation.Version));
        }
    }

    [Fact]
    public async Task A_timeout_claimed_by_a_node_that_died_is_committed_by_another_after_the_lease()
    {
        var a = await NodeAsync();
        var sent = await a.Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["bob"], Timeout = 5 }).WithTimeout();
        _time.Advance(TimeSpan.FromSeconds(5));

        // Node A claims the due entry and dies before committing the timeout.
        Assert.Equal([sent.Value!.InvitationId], await a.Store.ClaimDueAsync(10, TimeSpan.FromSeconds(30), CancellationToken.None).WithTimeout());
        await a.Redis.CloseAsync(allowCommandsToComplete: false).WithTimeout();

        var b = await NodeAsync();
        Assert.Equal(0, await b.Service.ExpireDueAsync(CancellationToken.None).WithTimeout());
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await b.Service.ExpireDueAsync(CancellationToken.None).WithTimeout());
        Assert.Equal(0, await b.Service.ExpireDueAsync(CancellationToken.None).WithTimeout());
        Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout));
    }

    [Fact]
    public async Task Two_nodes_sweeping_and_answering_at_once_commit_every_invitation_once()
    {
        var a = await NodeAsync();
        var b = await NodeAsync();
        var sweepers = new[] { await StartSweeperAsync(a.Service, a.Store), await StartSweeperAsync(b.Service, b.Store) };

        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var node = i % 2 == 0 ? a : b;
            var sent = await node.Service.SendAsync(new SendInvitationRequest { Inviter = $"caller{i}", Invitees = [$"x{i}", $"y{i}"], Timeout = 10 }).WithTimeout();
            ids.Add(sent.Value!.InvitationId);
        }

        // Half are answered by both invitees at once, through different nodes; the other half run into their deadline.
        var answers = await Task.WhenAll(ids.Take(10).SelectMany((id, i) => new[]
        {
            Task.Run(() => a.Service.AcceptAsync(id, $"x{i}")),
            Task.Run(() => b.Service.AcceptAsync(id, $"y{i}")),
        })).WithTimeout();
        Assert.Equal(10, answers.Count(r => r.IsSuccess));
        Assert.All(answers.Where(r => !r.IsSuccess), r => Assert.Equal(InvitationErrorCodes.AlreadyAnswered, r.Error!.Code));

        _time.Advance(TimeSpan.FromSeconds(10));
        await Events.WaitUntilAsync(e => e.Count(x => x.Name == InvitationEventNames.OutgoingInvitationTimeout) == 10);
        for (var i = 0; i < 4; i++)
        {
            await TickAsync(sweepers);
        }

        Assert.All(ids.Take(10), id => Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationAccepted, id)));
        Assert.All(ids.Take(10), id => Assert.Empty(Events.Named(InvitationEventNames.OutgoingInvitationTimeout, id)));
        Assert.All(ids.Skip(10), id => Assert.Single(Events.Named(InvitationEventNames.OutgoingInvitationTimeout, id)));
    }

    private sealed class StopOnDispose(InvitationTimeoutSweeper sweeper) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await sweeper.StopAsync(CancellationToken.None).WithTimeout();
            sweeper.Dispose();
        }
    }
}
