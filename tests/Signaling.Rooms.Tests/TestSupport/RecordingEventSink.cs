using System.Collections.Concurrent;
using Signaling.Rooms.Invitations;

namespace Signaling.Rooms.Tests.TestSupport;

/// <summary>Records every published event with the (fake) time it was published at.</summary>
public sealed class RecordingEventSink(TimeProvider time) : IInvitationEventSink
{
    private readonly ConcurrentQueue<(InvitationEvent Event, DateTimeOffset At)> _published = new();

    public IReadOnlyList<InvitationEvent> Events => _published.Select(p => p.Event).ToList();

    public IReadOnlyList<(InvitationEvent Event, DateTimeOffset At)> Published => _published.ToList();

    public Task PublishAsync(InvitationEvent invitationEvent, CancellationToken cancellationToken)
    {
        _published.Enqueue((invitationEvent, time.GetUtcNow()));
        return Task.CompletedTask;
    }

    public IReadOnlyList<InvitationEvent> For(string invitationId) => Events.Where(e => e.InvitationId == invitationId).ToList();

    public IReadOnlyList<InvitationEvent> Named(string name, string? invitationId = null) =>
        Events.Where(e => e.Name == name && (invitationId is null || e.InvitationId == invitationId)).ToList();

    public void Clear() => _published.Clear();

    /// <summary>Waits (real time, bounded) until <paramref name="condition"/> holds over the recorded events.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<InvitationEvent>, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TestTimeouts.Default);
        while (!condition(Events))
        {
            try
            {
                await Task.Delay(5, cts.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("The expected events were not published in time.");
            }
        }
    }
}
