using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Tests.TestSupport;

namespace Signaling.Rooms.Tests.Invitations;

/// <summary>
/// The behaviour every <see cref="IInvitationStore"/> must give <see cref="InvitationService"/>. Subclass it once per
/// store (in-memory, Redis). Time is driven through <see cref="TimeProvider"/>: a store must take its clock from it.
/// </summary>
public abstract partial class InvitationServiceSpecification : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<InvitationTimeoutSweeper> _sweepers = [];
    private InvitationService? _service;
    private IInvitationStore? _store;

    protected InvitationServiceSpecification()
    {
        Events = new RecordingEventSink(Time);
    }

    protected ManualTimeProvider Time { get; } = new();

    protected RecordingEventSink Events { get; }

    /// <summary>Options used by the store and service; change them before first touching <see cref="Service"/>.</summary>
    protected InvitationOptions Options { get; } = new();

    // Created on first use (so tests can set Options first), under a lock: tests touch them from several threads.
    protected IInvitationStore Store
    {
        get
        {
            lock (_gate)
            {
                return _store ??= CreateStore(Time, new TestOptionsMonitor<InvitationOptions>(Options));
            }
        }
    }

    protected InvitationService Service
    {
        get
        {
            lock (_gate)
            {
                return _service ??= new InvitationService(
                    Store, Events, new TestOptionsMonitor<InvitationOptions>(Options), NullLogger<InvitationService>.Instance);
            }
        }
    }

    /// <summary>Creates a fresh, empty store whose clock is <paramref name="timeProvider"/>.</summary>
    protected abstract IInvitationStore CreateStore(TimeProvider timeProvider, IOptionsMonitor<InvitationOptions> options);

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var sweeper in _sweepers)
        {
            await sweeper.StopAsync(CancellationToken.None).WithTimeout();
            sweeper.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected async Task<InvitationTimeoutSweeper> StartSweeperAsync(InvitationService? service = null)
    {
        var sweeper = new InvitationTimeoutSweeper(
            service ?? Service, Store, Time, new TestOptionsMonitor<InvitationOptions>(Options), NullLogger<InvitationTimeoutSweeper>.Instance);
        _sweepers.Add(sweeper);
        var timers = Time.TimerCount;
        await sweeper.StartAsync(TestContext.Current.CancellationToken).WithTimeout();

        // ExecuteAsync runs on the thread pool: wait for its PeriodicTimer before moving the clock.
        await TestTimeouts.WaitUntilAsync(() => Time.TimerCount > timers, "the sweeper's timer");
        return sweeper;
    }

    /// <summary>Advances the clock by one sweep interval and waits until the sweeper has completed a sweep after that.</summary>
    protected async Task TickAsync(InvitationTimeoutSweeper sweeper, TimeSpan? by = null)
    {
        var before = sweeper.CompletedSweeps;
        Time.Advance(by ?? Options.SweepInterval);
        await TestTimeouts.WaitUntilAsync(() => sweeper.CompletedSweeps > before, "a sweep");
    }

    protected async Task<SendInvitationResult> SendAsync(string inviter, params string[] invitees)
    {
        var result = await Service.SendAsync(new SendInvitationRequest { Inviter = inviter, Invitees = invitees }).WithTimeout();
        Assert.True(result.IsSuccess, result.ToString());
        return result.Value;
    }

    protected async Task<Invitation> GetAsync(string invitationId)
    {
        var result = await Service.GetAsync(invitationId).WithTimeout();
        Assert.True(result.IsSuccess, result.ToString());
        return result.Value;
    }

    protected static InvitationError AssertError(InvitationResult<Invitation> result, string code) => AssertError<Invitation>(result, code);

    protected static InvitationError AssertError<T>(InvitationResult<T> result, string code)
        where T : class
    {
        Assert.False(result.IsSuccess, $"Expected {code} but the operation succeeded.");
        Assert.Equal(code, result.Error.Code);
        return result.Error;
    }

    protected static Invitation AssertSuccess(InvitationResult<Invitation> result)
    {
        Assert.True(result.IsSuccess, result.ToString());
        return result.Value;
    }

    protected static string Utf8OfLength(int bytes) => new('x', bytes);

    // ---------------------------------------------------------------- send

    [Fact]
    public async Task Send_creates_a_ringing_invitation_with_every_invitee_inviting()
    {
        var now = Time.GetUtcNow();
        var result = await Service.SendAsync(new SendInvitationRequest
        {
            Inviter = "alice",
            Invitees = ["bob", "carol"],
            Timeout = 30,
            ExtendedData = "{\"media\":\"video\"}",
            RoomId = "room-1",
            PushConfig = new InvitationPushConfig("Call", "Alice is calling", "{}"),
        }).WithTimeout();

        Assert.True(result.IsSuccess, result.ToString());
        var sent = result.Value;
        Assert.Equal(30, sent.Timeout);
        Assert.Equal(now, sent.CreateTime);
        Assert.Equal(now.AddSeconds(30), sent.Deadline);
        Assert.Empty(sent.ErrorInvitees);
        Assert.False(sent.Replayed);

        var invitation = await GetAsync(sent.InvitationId);
        Assert.Equal(sent.InvitationId, invitation.InvitationId);
        Assert.Equal("alice", invitation.Inviter);
        Assert.Equal(InvitationState.Ringing, invitation.State);
        Assert.Equal(1, invitation.Version);
        Assert.Equal(30, invitation.Timeout);
        Assert.Equal("{\"media\":\"video\"}", invitation.ExtendedData);
        Assert.Equal("room-1", invitation.RoomId);
        Assert.Equal(new InvitationPushConfig("Call", "Alice is calling", "{}"), invitation.PushConfig);
        Assert.Equal(sent.Deadline, invitation.Deadline);
        Assert.Null(invitation.EndTime);
        Assert.Equal(["bob", "carol"], invitation.Invitees.Select(e => e.UserId));
        Assert.All(invitation.Invitees, e =>
        {
            Assert.Equal(InviteeState.Inviting, e.State);
            Assert.Equal(now, e.UpdateTime);
            Assert.Null(e.AnsweredBy);
            Assert.Null(e.Reason);
        });

        var events = Events.For(sent.InvitationId);
        Assert.Equal(["bob", "carol"], events.Select(e => e.Recipient));
        Assert.All(events, e =>
        {
            Assert.Equal(InvitationEventNames.IncomingInvitationReceived, e.Name);
            Assert.Equal(1, e.Version);
            Assert.Equal(InvitationState.Ringing, e.State);
            Assert.Equal("alice", e.Inviter);
            Assert.Equal(e.Recipient, e.Invitee);
            Assert.Null(e.ExceptDeviceId);
            Assert.Equal(["bob", "carol"], e.Invitees!);
            Assert.Equal(30, e.Timeout);
            Assert.Equal(now, e.CreateTime);
            Assert.Equal(sent.Deadline, e.Deadline);
            Assert.Equal("{\"media\":\"video\"}", e.ExtendedData);
            Assert.Equal("room-1", e.RoomId);
            Assert.Equal("Call", e.PushConfig!.Title);
        });
    }

    [Fact]
    public async Task Send_without_timeout_uses_the_default()
    {
        Options.DefaultTimeout = 45;
        var sent = await SendAsync("alice", "bob");
        Assert.Equal(45, sent.Timeout);
        Assert.Equal(sent.CreateTime.AddSeconds(45), sent.Deadline);
    }

    [Fact]
    public async Task Invitation_ids_are_unique_unguessable_and_url_safe()
    {
        var ids = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            var sent = await SendAsync($"caller{i}", "bob");
            Assert.Matches("^[A-Za-z0-9_-]{22}$", sent.InvitationId);
            Assert.True(ids.Add(sent.InvitationId));
        }
    }

    [Fact]
    public async Task Send_leaves_out_self_duplicate_and_invalid_invitees_with_reasons()
    {
        var result = await Service.SendAsync(new SendInvitationRequest
        {
            Inviter = "alice",
            Invitees = ["bob", "alice", "bob", " ", "carol", new string('u', 257)],
        }).WithTimeout();

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(
            [
                new InviteeError("alice", InviteeErrorReasons.Self),
                new InviteeError("bob", InviteeErrorReasons.Duplicate),
                new InviteeError(" ", InviteeErrorReasons.Invalid),
                new InviteeError(new string('u', 257), InviteeErrorReasons.Invalid),
            ],
            result.Value.ErrorInvitees);
        var invitation = await GetAsync(result.Value.InvitationId);
        Assert.Equal(["bob", "carol"], invitation.Invitees.Select(e => e.UserId));
        Assert.Equal(2, Events.Named(InvitationEventNames.IncomingInvitationReceived).Count);
    }

    [Fact]
    public async Task Send_where_every_invitee_is_in_error_creates_nothing()
    {
        var result = await Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["alice", ""] }).WithTimeout();

        var error = AssertError(result, InvitationErrorCodes.InvalidParameter);
        Assert.Contains("invitees", error.FieldErrors!.Keys);
        Assert.Equal(
            [new InviteeError("alice", InviteeErrorReasons.Self), new InviteeError("", InviteeErrorReasons.Invalid)],
            error.ErrorInvitees!);
        Assert.Empty(await Service.ListForUserAsync("alice", InvitationRole.Outgoing).WithTimeout());
        Assert.Empty(Events.Events);
    }

    [Fact]
    public async Task Send_to_more_than_the_maximum_invitees_is_too_many_invitees()
    {
        var ten = Enumerable.Range(1, 10).Select(i => $"user{i}").ToArray();
        var tooMany = await Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ten }).WithTimeout();
        var error = AssertError(tooMany, InvitationErrorCodes.TooManyInvitees);
        Assert.Contains("invitees", error.FieldErrors!.Keys);
        Assert.Empty(Events.Events);

        var nine = await SendAsync("alice", ten[..9]);
        Assert.Equal(9, (await GetAsync(nine.InvitationId)).Invitees.Count);
    }

    [Fact]
    public async Task Send_with_invalid_fields_is_invalid_parameter_with_field_errors()
    {
        var result = await Service.SendAsync(new SendInvitationRequest
        {
            Inviter = "alice",
            Invitees = [],
            Timeout = 601,
            ExtendedData = new string('é', 1025), // 1025 chars but 2050 UTF-8 bytes
            RoomId = " ",
            IdempotencyKey = new string('k', 257),
            PushConfig = new InvitationPushConfig("t", "c", Utf8OfLength(2049)),
        }).WithTimeout();

        var error = AssertError(result, InvitationErrorCodes.InvalidParameter);
        Assert.Equal(
            ["extendedData", "idempotencyKey", "invitees", "pushConfig.payload", "roomId", "timeout"],
            error.FieldErrors!.Keys.Order(StringComparer.Ordinal));
        Assert.All(error.FieldErrors.Values, messages => Assert.NotEmpty(messages));
        Assert.Null(error.State);
        Assert.Null(error.Version);
        Assert.Empty(Events.Events);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(601)]
    public async Task Send_with_timeout_out_of_range_is_invalid_parameter(int timeout)
    {
        var result = await Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["bob"], Timeout = timeout }).WithTimeout();
        Assert.Equal(["timeout"], AssertError(result, InvitationErrorCodes.InvalidParameter).FieldErrors!.Keys);
    }

    [Fact]
    public async Task Send_accepts_the_limits_exactly()
    {
        var result = await Service.SendAsync(new SendInvitationRequest
        {
            Inviter = "alice",
            Invitees = ["bob"],
            Timeout = 600,
            ExtendedData = new string('é', 1024), // exactly 2048 bytes
        }).WithTimeout();
        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(600, result.Value.Timeout);

        var one = await Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["carol"], Timeout = 1 }).WithTimeout();
        Assert.True(one.IsSuccess, one.ToString());
    }

    // ---------------------------------------------------------------- glare

    [Fact]
    public async Task Send_to_someone_who_is_ringing_you_is_glare_with_their_invitation_id()
    {
        var bobsCall = await SendAsync("bob", "alice");
        Events.Clear();

        var result = await Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["carol", "bob"] }).WithTimeout();

        var error = AssertError(result, InvitationErrorCodes.Glare);
        Assert.Equal(bobsCall.InvitationId, error.ExistingInvitationId);
        Assert.Equal(bobsCall.InvitationId, error.InvitationId);
        Assert.Equal(InvitationState.Ringing, error.State);
        Assert.Equal(1, error.Version);
        Assert.Empty(Events.Events);
        Assert.Empty(await Service.ListForUserAsync("alice", InvitationRole.Outgoing).WithTimeout());
    }

    [Fact]
    public async Task No_glare_once_the_reverse_invitation_is_no_longer_pending_for_the_inviter()
    {
        var refused = await SendAsync("bob", "alice", "dave");
        AssertSuccess(await Service.RefuseAsync(refused.InvitationId, "alice").WithTimeout());
        Assert.True((await Service.SendAsync(new SendInvitationRequest { Inviter = "alice", Invitees = ["bob"] }).WithTimeout()).IsSuccess);

        var cancelled = await SendAsync("carol", "erin");
        AssertSuccess(await Service.CancelAsync(cancelled.InvitationId, "carol").WithTimeout());
        Assert.True((await Service.SendAsync(new SendInvitationRequest { Inviter = "erin", Invitees = ["carol"] }).WithTimeout()).IsSuccess);

        await SendAsync("frank", "gina");
        Time.Advance(TimeSpan.FromSeconds(Options.DefaultTimeout));
        Assert.True((await Service.SendAsync(new SendInvitationRequest { Inviter = "gina", Invitees = ["frank"] }).WithTimeout()).IsSuccess);
    }

    // ---------------------------------------------------------------- busy

    [Fact]
    public async Task Busy_invitees_are_refused_when_configured_until_the_call_ends()
    {
        Options.RefuseBusyInvitees = true;
        var call = await SendAsync("alice", "bob");
        AssertSuccess(await Service.AcceptAsync(call.InvitationId, "bob", "phone").WithTimeout());

        var onlyBusy = await Service.SendAsync(new SendInvitationRequest { Inviter = "carol", Invitees = ["bob"] }).WithTimeout();
        var error = AssertError(onlyBusy, InvitationErrorCodes.InvalidParameter);
        Assert.Equal([new InviteeError("bob", InviteeErrorReasons.Busy)], error.ErrorInvitees!);

        var partly = await SendAsync("carol", "alice", "dave");
        Assert.Equal([new InviteeError("alice", InviteeErrorReasons.Busy)], partly.ErrorInvitees);
        Assert.Equal(["dave"], (await GetAsync(partly.InvitationId)).Invitees.Select(e => e.UserId));

        var ended = AssertSuccess(await Service.EndCallAsync(call.InvitationId, "bob").WithTimeout());
        Assert.Equal(Time.GetUtcNow(), ended.BusyUntil);

        var afterEnd = await SendAsync("erin", "bob");
        Assert.Empty(afterEnd.ErrorInvitees);
    }

    [Fact]
    public async Task An_accepted_call_stops_counting_as_busy_after_the_busy_window()
    {
        Options.RefuseBusyInvitees = true;
        Options.BusyWindow = TimeSpan.FromMinutes(10);
        var call = await SendAsync("alice", "bob");
        var accepted = AssertSuccess(await Service.AcceptAsync(call.InvitationId, "bob").WithTimeout());
        Assert.Equal(Time.GetUtcNow() + TimeSpan.FromMinutes(10), accepted.BusyUntil);

        Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal([new InviteeError("bob", InviteeErrorReasons.Busy)], (await SendAsync("carol", "bob", "dave")).ErrorInvitees);

        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty((await SendAsync("erin", "bob")).ErrorInvitees);
    }

    [Fact]
    public async Task Busy_invitees_are_invited_normally_by_default()
    {
        var call = await SendAsync("alice", "bob");
        AssertSuccess(await Service.AcceptAsync(call.InvitationId, "bob").WithTimeout());
        Assert.Empty((await SendAsync("carol", "bob")).ErrorInvitees);
    }

    [Fact]
    public async Task EndCall_is_for_participants_of_an_accepted_call_and_idempotent()
    {
        var call = await SendAsync("alice", "bob", "carol");
        AssertError(await Service.EndCallAsync(call.InvitationId, "alice").WithTimeout(), InvitationErrorCodes.InvalidState);
        AssertSuccess(await Service.AcceptAsync(call.InvitationId, "bob").WithTimeout());

        AssertError(await Service.EndCallAsync(call.InvitationId, "carol").WithTimeout(), InvitationErrorCodes.Forbidden);
        AssertError(await Service.EndCallAsync(call.InvitationId, "mallory").WithTimeout(), InvitationErrorCodes.Forbidden);
        var ended = AssertSuccess(await Service.EndCallAsync(call.InvitationId, "alice").WithTimeout());
        Assert.Equal(3, ended.Version);
        Assert.Equal(InvitationState.Accepted, ended.State);

        var again = AssertSuccess(await Service.EndCallAsync(call.InvitationId, "bob").WithTimeout());
        Assert.Equal(3, again.Version);
        AssertError(await Service.EndCallAsync("nope", "bob").WithTimeout(), InvitationErrorCodes.InvitationNotFound);
    }

    // ---------------------------------------------------------------- idempotency

    [Fact]
    public async Task A_retried_send_with_the_same_key_and_body_returns_the_first_answer()
    {
        var request = new SendInvitationRequest { Inviter = "alice", Invitees = ["bob"], ExtendedData = "x", IdempotencyKey = "key-1" };
        var first = await Service.SendAsync(request).WithTimeout();
        Time.Advance(TimeSpan.FromSeconds(5));
        var retry = await Service.SendAsync(request with { Invitees = ["bob"] }).WithTimeout();

        Assert.True(first.IsSuccess && retry.IsSuccess);
        Assert.True(retry.Value.Replayed);
        Assert.Equal(first.Value with { Replayed = true }, retry.Value);
        Assert.Single(await Service.ListForUserAsync("alice", InvitationRole.Outgoing).WithTimeout());
        Assert.Single(Events.Events);

        // Even after the first invitation ended, the retry still gets the first answer.
        AssertSuccess(await Service.CancelAsync(first.Value.InvitationId, "alice").WithTimeout());
        var late = await Service.SendAsync(request).WithTimeout();
        Assert.Equal(first.Value.InvitationId, late.Value!.InvitationId);
    }

    [Fact]
    public async Task A_reused_key_with_a_different_body_is_idempotency_conflict()
    {
        var request = new SendInvitationRequest { Inviter = "alice", Invitees = ["bob"], IdempotencyKey = "key-1" };
        var first = await Service.SendAsync(request).WithTimeout();

        foreach (var changed in new[]
        {
            request with { Invitees = ["carol"] },
            request with { Timeout = 30 },
            request with { ExtendedData = "x" },
            request with { RoomId = "r" },
            request with { PushConfig = new InvitationPushConfig(null, null, null) },
        })
        {
            var error = AssertError(await Service.SendAsync(changed).WithTimeout(), InvitationErrorCodes.IdempotencyConflict);
            Assert.Equal(first.Value!.InvitationId, error.ExistingInvitationId);
        }

        // Keys are scoped to the inviter.
        Assert.False((await Service.SendAsync(request with { Inviter = "dave" }).WithTimeout()).Value!.Replayed);
        Assert.Single(await Service.ListForUserAsync("alice", InvitationRole.Outgoing).WithTimeout());
    }

    [Fact]
    public async Task Idempotency_keys_expire_after_their_ttl()
    {
        Options.IdempotencyKeyTtl = TimeSpan.FromMinutes(5);
        var request = new SendInvitationRequest { Inviter = "alice", Invitees = ["bob"], IdempotencyKey = "key-1", Timeout = 10 };
        var first = await Service.SendAsync(request).WithTimeout();

        Time.Advance(TimeSpan.FromMinutes(5));
        await Store.RemoveExpiredAsync(CancellationToken.None).WithTimeout();
        var again = await Service.SendAsync(request).WithTimeout();

        Assert.True(again.IsSuccess, again.ToString());
        Assert.False(again.Value.Replayed);
        Assert.NotEqual(first.Value!.InvitationId, again.Value.InvitationId);
    }

    [Fact]
    public async Task Concurrent_retries_with_one_key_create_one_invitation()
    {
        for (var round = 0; round < 50; round++)
        {
            var request = new SendInvitationRequest { Inviter = "alice", Invitees = [$"bob{round}"], IdempotencyKey = $"k{round}" };
            var results = await Task.WhenAll(
                Task.Run(() => Service.SendAsync(request)),
                Task.Run(() => Service.SendAsync(request))).WithTimeout();
            Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
            Assert.Equal(results[0].Value!.InvitationId, results[1].Value!.InvitationId);
            Assert.Single(results, r => r.Value!.Replayed);
        }

        Assert.Equal(50, (await Service.ListForUserAsync("alice", InvitationRole.Outgoing).WithTimeout()).Count);
        Assert.Equal(50, Events.Events.Count);
    }
}
