using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.EngineIO;

/// <summary>
/// A session's outgoing messages: bounded, written from any thread, read by the active transport. It replaces a
/// bounded <c>Channel</c>, which pre-allocates five operation objects per instance; an idle session here holds this
/// object, a small ring and the signal its reader waits on. A ring grown by a burst is released once drained, so a
/// session that once fell behind does not keep its peak buffer for the rest of its life.
/// </summary>
/// <remarks>
/// Readers wait on one shared signal, created when a reader finds the queue empty and completed (outside the lock)
/// by whoever takes it from the field: the next write (true) or completion (false). Any number of readers may wait
/// at once (a poll still pending when its session's WebSocket writer starts); each wait's cancellation belongs to
/// that wait alone.
/// </remarks>
internal sealed class SendQueue(int capacity)
{
    private const int InitialSize = 4;
    private const int KeptSize = 32;

    private OutboundMessage[]? _ring;
    private int _head;
    private int _count;
    private bool _completed;
    private TaskCompletionSource<bool>? _signal;

    /// <summary>Queues a message; false when the queue is full or completed.</summary>
    public bool TryWrite(in OutboundMessage message)
    {
        TaskCompletionSource<bool>? signal;
        lock (this)
        {
            if (_completed || _count >= capacity)
            {
                return false;
            }

            if (_ring is null || _count == _ring.Length)
            {
                Grow();
            }

            _ring![(_head + _count) % _ring.Length] = message;
            _count++;
            signal = _signal;
            _signal = null;
        }

        signal?.TrySetResult(true);
        return true;
    }

    /// <summary>Takes the oldest message, if any.</summary>
    public bool TryRead(out OutboundMessage message)
    {
        lock (this)
        {
            if (_count == 0)
            {
                message = default;
                return false;
            }

            message = _ring![_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
            if (_count == 0)
            {
                _head = 0;
                if (_ring.Length > KeptSize)
                {
                    _ring = null;
                }
            }

            return true;
        }
    }

    /// <summary>No more writes; readers drain what is left and then see the end.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? signal;
        lock (this)
        {
            _completed = true;
            signal = _signal;
            _signal = null;
        }

        signal?.TrySetResult(false);
    }

    /// <summary>
    /// Waits until a message may be read (true; another reader may take it first) or the queue is completed and empty
    /// (false). Cancellation ends this wait with <see cref="OperationCanceledException"/>.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        Task<bool> signal;
        lock (this)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _signal ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            signal = _signal.Task;
        }

        return new ValueTask<bool>(cancellationToken.CanBeCanceled ? signal.WaitAsync(cancellationToken) : signal);
    }

    private void Grow()
    {
        var size = _ring is null ? InitialSize : Math.Min(_ring.Length * 2, Math.Max(capacity, InitialSize));
        var grown = new OutboundMessage[size];
        for (var i = 0; i < _count; i++)
        {
            grown[i] = _ring![(_head + i) % _ring.Length];
        }

        _ring = grown;
        _head = 0;
    }
}
