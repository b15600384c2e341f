using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.EngineIO.Protocol;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO;

public class SendQueueTests
{
    private static OutboundMessage Message(int n) => new(EngineFrame.Text((byte[])[(byte)'4', .. BitConverter.GetBytes(n)]));

    private static int Number(in OutboundMessage message) => BitConverter.ToInt32(message.Frame.Payload.Span[1..]);

    private static readonly TimeSpan Soon = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void Keeps_order_across_growth_and_wrap_around_and_refuses_beyond_capacity()
    {
        var queue = new SendQueue(100);
        var next = 0;
        var expected = 0;
        for (var round = 0; round < 5; round++)
        {
            var start = next;
            while (queue.TryWrite(Message(next)))
            {
                next++;
            }

            Assert.Equal(100, next - start);
            for (var i = 0; i < 100; i++)
            {
                Assert.True(queue.TryRead(out var message));
                Assert.Equal(expected++, Number(message));

                // Interleaved writes make the ring wrap around.
                if (i % 3 == 0 && i < 60)
                {
                    Assert.True(queue.TryWrite(Message(next++)));
                }
            }

            while (queue.TryRead(out var message))
            {
                Assert.Equal(expected++, Number(message));
            }
        }

        Assert.Equal(next, expected);
        Assert.False(queue.TryRead(out _));
    }

    [Fact]
    public async Task A_wait_ends_with_true_on_a_write_and_with_false_once_completed_and_drained()
    {
        var queue = new SendQueue(16);
        var wait = queue.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        Assert.True(queue.TryWrite(Message(1)));
        Assert.True(await wait.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));

        queue.Complete();
        Assert.False(queue.TryWrite(Message(2)));
        Assert.True(await queue.WaitToReadAsync());
        Assert.True(queue.TryRead(out var message));
        Assert.Equal(1, Number(message));
        Assert.False(await queue.WaitToReadAsync());

        var pending = new SendQueue(16);
        var ended = pending.WaitToReadAsync().AsTask();
        pending.Complete();
        Assert.False(await ended.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_its_registration_never_touches_a_later_wait()
    {
        var queue = new SendQueue(16);
        using var first = new CancellationTokenSource();
        var cancelled = queue.WaitToReadAsync(first.Token).AsTask();
        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));

        // A wait that ended by a write keeps no registration: cancelling its token later must not end the next wait.
        using var second = new CancellationTokenSource();
        var written = queue.WaitToReadAsync(second.Token).AsTask();
        Assert.True(queue.TryWrite(Message(1)));
        Assert.True(await written.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));
        Assert.True(queue.TryRead(out _));

        var later = queue.WaitToReadAsync().AsTask();
        await second.CancelAsync();
        await Task.Delay(Soon, TestContext.Current.CancellationToken);
        Assert.False(later.IsCompleted);
        Assert.True(queue.TryWrite(Message(2)));
        Assert.True(await later.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));

        using var already = new CancellationTokenSource();
        await already.CancelAsync();
        Assert.True(queue.TryRead(out _));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.WaitToReadAsync(already.Token).AsTask());
    }

    [Fact]
    public async Task Two_readers_waiting_at_once_are_both_woken()
    {
        var queue = new SendQueue(16);
        using var cancel = new CancellationTokenSource();
        var poll = queue.WaitToReadAsync(cancel.Token).AsTask();
        var writer = queue.WaitToReadAsync().AsTask();
        var third = queue.WaitToReadAsync().AsTask();
        Assert.True(queue.TryWrite(Message(1)));
        Assert.True(await poll.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));
        Assert.True(await writer.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));
        Assert.True(await third.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));

        Assert.True(queue.TryRead(out _));
        var first = queue.WaitToReadAsync().AsTask();
        var second = queue.WaitToReadAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));
        queue.Complete();
        Assert.False(await first.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_woken_reader_that_has_not_looked_yet_disturbs_no_later_wait()
    {
        // A poll still pending when the session's WebSocket writer starts: both wake on one write, the writer drains
        // and waits again, then the poll's client goes away.
        var queue = new SendQueue(16);
        using var pollAborted = new CancellationTokenSource();
        var poll = queue.WaitToReadAsync(pollAborted.Token);
        var writer = queue.WaitToReadAsync().AsTask();
        Assert.True(queue.TryWrite(Message(1)));
        Assert.True(await writer.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));
        Assert.True(queue.TryRead(out _));
        var writerAgain = queue.WaitToReadAsync().AsTask();

        // The poll sees its wake-up or its cancellation, whichever ran first; either way the writer's wait is untouched.
        await pollAborted.CancelAsync();
        var pollOutcome = await Record.ExceptionAsync(async () => Assert.True(await poll));
        Assert.True(pollOutcome is null or OperationCanceledException, pollOutcome?.ToString());
        await Task.Delay(Soon, TestContext.Current.CancellationToken);
        Assert.False(writerAgain.IsCompleted);
        Assert.False(queue.TryRead(out _));

        Assert.True(queue.TryWrite(Message(2)));
        Assert.True(await writerAgain.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Concurrent_writers_lose_nothing_and_keep_each_writers_order()
    {
        const int Writers = 4;
        const int PerWriter = 20_000;
        var queue = new SendQueue(1024);
        var last = Enumerable.Repeat(-1, Writers).ToArray();
        var received = 0;

        var reader = Task.Run(async () =>
        {
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var message))
                {
                    var n = Number(message);
                    var writer = n / PerWriter;
                    Assert.True(n > last[writer], $"writer {writer}: {n} after {last[writer]}");
                    last[writer] = n;
                    received++;
                }
            }
        }, TestContext.Current.CancellationToken);

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                while (!queue.TryWrite(Message((w * PerWriter) + i)))
                {
                    await Task.Yield();
                }
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        await Task.WhenAll(writers).WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        queue.Complete();
        await reader.WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
        Assert.Equal(Writers * PerWriter, received);
    }
}
