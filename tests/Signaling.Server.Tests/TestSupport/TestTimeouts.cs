namespace Signaling.Server.Tests.TestSupport;

/// <summary>A time limit for every await in the tests.</summary>
public static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);

    public static Task WithTimeout(this Task task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task<T> WithTimeout<T>(this Task<T> task) => task.WaitAsync(Default, TestContext.Current.CancellationToken);

    public static Task<T> WithTimeout<T>(this ValueTask<T> task) => task.AsTask().WithTimeout();

    public static Task WithTimeout(this ValueTask task) => task.AsTask().WithTimeout();

    /// <summary>Polls (real time, bounded by <see cref="Default"/>) until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Default);
        while (!await condition().WaitAsync(cts.Token))
        {
            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {Default.TotalSeconds:0} s waiting for {what}.");
            }
        }
    }
}
