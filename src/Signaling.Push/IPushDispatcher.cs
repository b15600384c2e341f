namespace Signaling.Push;

/// <summary>
/// Sends ring and cancel pushes in the background with bounded parallelism. Each device gets at most one ring and one
/// cancel per invitation; every outcome goes to the <see cref="IPushLedger"/>.
/// </summary>
public interface IPushDispatcher
{
    /// <summary>Queues a ring and returns at once; false when the queue is full or the dispatcher is stopping.</summary>
    bool QueueRing(RingRequest request);

    /// <summary>Queues a cancel and returns at once; false when the queue is full or the dispatcher is stopping.</summary>
    bool QueueCancel(CancelRequest request);

    /// <summary>Queues a ring and waits for its outcomes, one per device; cancelling stops the wait, not the delivery.</summary>
    Task<IReadOnlyList<PushOutcome>> RingAsync(RingRequest request, CancellationToken cancellationToken = default);

    /// <summary>Queues a cancel and waits for its outcomes, one per rung device; cancelling stops the wait, not the delivery.</summary>
    Task<IReadOnlyList<PushOutcome>> CancelAsync(CancelRequest request, CancellationToken cancellationToken = default);
}
