namespace Signaling.Push.Tests.Infrastructure;

/// <summary>
/// A clock the test moves by hand. Timers (Task.Delay, CancelAfter) stay on the system clock, so back-off delays
/// still elapse; only "what time is it" (token ages, deadlines, expiry) is controlled.
/// Stands in for FakeTimeProvider (Microsoft.Extensions.TimeProvider.Testing), which is not in Directory.Packages.props.
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public ManualTimeProvider()
        : this(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}

public static class Timeouts
{
    /// <summary>The limit on every await in these tests.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);

    public static Task<T> Bounded<T>(this Task<T> task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task Bounded(this Task task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static async Task<T> Bounded<T>(this ValueTask<T> task) => await task.AsTask().Bounded();

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <see cref="Default"/>.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(Default);
        while (!condition())
        {
            try
            {
                await Task.Delay(10, limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }
        }
    }

    public static async Task Until(Func<Task<bool>> condition, string what)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(Default);
        while (!await condition().WaitAsync(Default))
        {
            try
            {
                await Task.Delay(10, limit.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }
        }
    }
}
