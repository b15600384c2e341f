using System.Threading.Tasks.Sources;
using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.EngineIO;

/// <summary>
/// A session's outgoing messages: bounded, written from any thread, read by one transport at a time. It replaces a
/// bounded <c>Channel</c>, which pre-allocates five operation objects per instance; an idle session here holds this
/// object and a small ring. A ring grown by a burst is released once drained, so a session that once fell behind
/// does not keep its peak buffer for the rest of its life.
/// </summary>
internal sealed class SendQueue(int capacity) : IValueTaskSource<bool>
{
    private const int InitialSize = 4;
    private const int KeptSize = 32;

    private OutboundMessage[]? _ring;
    private int _head;
    private int _count;
    private bool _completed;
    private bool _waiting;
    private ManualResetValueTaskSourceCore<bool> _waiter = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;

    // A second reader waiting at the same time: only a poll still pending when its session's WebSocket writer starts.
    private TaskCompletionSource<bool>? _otherWaiters;

    /// <summary>Queues a message; false when the queue is full or completed.</summary>
    public bool TryWrite(in OutboundMessage message)
    {
        bool wake;
        TaskCompletionSource<bool>? others;
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
            wake = _waiting;
            _waiting = false;
            others = _otherWaiters;
            _otherWaiters = null;
        }

        if (wake)
        {
            _waiter.SetResult(true);
        }

        others?.TrySetResult(true);
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

    /// <summary>No more writes; the reader drains what is left and then sees the end.</summary>
    public void Complete()
    {
        bool wake;
        TaskCompletionSource<bool>? others;
        lock (this)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            wake = _waiting;
            _waiting = false;
            others = _otherWaiters;
            _otherWaiters = null;
        }

        if (wake)
        {
            _waiter.SetResult(false);
        }

        others?.TrySetResult(false);
    }

    /// <summary>
    /// Waits until a message can be read (true) or the queue is completed and empty (false). Cancellation ends the
    /// wait with <see cref="OperationCanceledException"/>.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        short version;
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

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            if (_waiting)
            {
                _otherWaiters ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                return new ValueTask<bool>(_otherWaiters.Task.WaitAsync(cancellationToken));
            }

            _waiter.Reset();
            _waiting = true;
            version = _waiter.Version;

            // Registered before anyone can complete this wait, and disposed when its result is taken: a registration
            // must never outlive its wait and cancel a later one.
            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((SendQueue)state!).CancelWait(token), this);
            }
        }

        return new ValueTask<bool>(this, version);
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _cancellation.Dispose();
        _cancellation = default;
        return _waiter.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _waiter.OnCompleted(continuation, state, token, flags);

    private void CancelWait(CancellationToken token)
    {
        lock (this)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
        }

        _waiter.SetException(new OperationCanceledException(token));
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
