using Signaling.Push.Devices;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Dispatch;

/// <summary>What every <see cref="IPushLedger"/> must do. Subclass it per implementation.</summary>
public abstract class PushLedgerSpecification : IAsyncLifetime
{
    private IPushLedger? _ledger;

    protected ManualTimeProvider Time { get; } = new();

    protected IPushLedger Ledger => _ledger ?? throw new InvalidOperationException("Not initialized.");

    protected abstract Task<IPushLedger> CreateLedgerAsync(TimeProvider time);

    public async ValueTask InitializeAsync() => _ledger = await CreateLedgerAsync(Time).Bounded();

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PushOutcome Pending(string invitation, string device, PushKind kind = PushKind.Ring, string user = "u1") =>
        new(invitation, user, device, DevicePlatform.Android, kind, PushStatus.Pending, null, null, 0, Time.GetUtcNow());

    private DateTimeOffset InAnHour => Time.GetUtcNow().AddHours(1);

    [Fact]
    public async Task A_key_is_claimed_once()
    {
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d1"), InAnHour, Ct).Bounded());
        Assert.False(await Ledger.TryClaimAsync(Pending("i1", "d1"), InAnHour, Ct).Bounded());
    }

    [Fact]
    public async Task Kind_device_user_and_invitation_are_separate_keys()
    {
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d1"), InAnHour, Ct).Bounded());
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d1", PushKind.Cancel), InAnHour, Ct).Bounded());
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d2"), InAnHour, Ct).Bounded());
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d1", user: "u2"), InAnHour, Ct).Bounded());
        Assert.True(await Ledger.TryClaimAsync(Pending("i2", "d1"), InAnHour, Ct).Bounded());
    }

    [Fact]
    public async Task Concurrent_claims_have_one_winner()
    {
        var claims = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Task.Run(() => Ledger.TryClaimAsync(Pending("i1", "d1"), InAnHour, Ct), Ct))).Bounded();

        Assert.Equal(1, claims.Count(c => c));
    }

    [Fact]
    public async Task Record_replaces_the_pending_outcome_and_get_lists_in_order()
    {
        await Ledger.TryClaimAsync(Pending("i1", "d2"), InAnHour, Ct).Bounded();
        await Ledger.TryClaimAsync(Pending("i1", "d1"), InAnHour, Ct).Bounded();
        await Ledger.TryClaimAsync(Pending("i1", "d1", PushKind.Cancel), InAnHour, Ct).Bounded();
        var sent = Pending("i1", "d1") with { Status = PushStatus.Sent, StatusCode = 200, Attempts = 1 };
        await Ledger.RecordAsync(sent, Ct).Bounded();

        var outcomes = await Ledger.GetOutcomesAsync("i1", Ct).Bounded();

        Assert.Equal([("d1", PushKind.Ring), ("d1", PushKind.Cancel), ("d2", PushKind.Ring)], outcomes.Select(o => (o.DeviceId, o.Kind)));
        Assert.Equal(sent, outcomes[0]);
        Assert.Equal(PushStatus.Pending, outcomes[2].Status);
        Assert.Empty(await Ledger.GetOutcomesAsync("other", Ct).Bounded());
    }

    [Fact]
    public async Task Records_expire_and_the_key_can_be_claimed_again()
    {
        await Ledger.TryClaimAsync(Pending("i1", "d1"), Time.GetUtcNow().AddMinutes(5), Ct).Bounded();
        Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Single(await Ledger.GetOutcomesAsync("i1", Ct).Bounded());

        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Empty(await Ledger.GetOutcomesAsync("i1", Ct).Bounded());
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d1"), Time.GetUtcNow().AddMinutes(5), Ct).Bounded());
    }

    [Fact]
    public async Task The_first_cancel_note_is_kept_and_read_back()
    {
        Assert.Null(await Ledger.GetCancelNoteAsync("i1", Ct).Bounded());
        var first = new CancelNote("i1", CancelReason.Cancelled, new PushConfig("Missed call", "Alice"));

        await Ledger.NoteCancelAsync(first, InAnHour, Ct).Bounded();
        await Ledger.NoteCancelAsync(new CancelNote("i1", CancelReason.Timeout, null), InAnHour, Ct).Bounded();

        Assert.Equal(first, await Ledger.GetCancelNoteAsync("i1", Ct).Bounded());
        Assert.Null(await Ledger.GetCancelNoteAsync("i2", Ct).Bounded());
    }

    [Fact]
    public async Task A_cancel_note_is_no_outcome_and_leaves_claims_alone()
    {
        await Ledger.NoteCancelAsync(new CancelNote("i1", CancelReason.AnsweredElsewhere, null), InAnHour, Ct).Bounded();
        Assert.Empty(await Ledger.GetOutcomesAsync("i1", Ct).Bounded());

        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d1"), InAnHour, Ct).Bounded());
        Assert.True(await Ledger.TryClaimAsync(Pending("i1", "d1", PushKind.Cancel), InAnHour, Ct).Bounded());
        Assert.Equal([PushKind.Ring, PushKind.Cancel], (await Ledger.GetOutcomesAsync("i1", Ct).Bounded()).Select(o => o.Kind));
        Assert.NotNull(await Ledger.GetCancelNoteAsync("i1", Ct).Bounded());
    }

    [Fact]
    public async Task A_cancel_note_expires_with_the_invitation_records()
    {
        await Ledger.TryClaimAsync(Pending("i1", "d1"), Time.GetUtcNow().AddMinutes(2), Ct).Bounded();
        await Ledger.NoteCancelAsync(new CancelNote("i1", CancelReason.Cancelled, null), Time.GetUtcNow().AddMinutes(5), Ct).Bounded();
        Time.Advance(TimeSpan.FromMinutes(4));
        Assert.NotNull(await Ledger.GetCancelNoteAsync("i1", Ct).Bounded());
        Assert.Single(await Ledger.GetOutcomesAsync("i1", Ct).Bounded());

        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Null(await Ledger.GetCancelNoteAsync("i1", Ct).Bounded());
        Assert.Empty(await Ledger.GetOutcomesAsync("i1", Ct).Bounded());
    }
}

public sealed class InMemoryPushLedgerTests : PushLedgerSpecification
{
    protected override Task<IPushLedger> CreateLedgerAsync(TimeProvider time) => Task.FromResult<IPushLedger>(new InMemoryPushLedger(time));
}
