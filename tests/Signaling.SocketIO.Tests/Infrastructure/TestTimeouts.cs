namespace Signaling.SocketIO.Tests.Infrastructure;

/// <summary>The time limit on every await of the Kestrel tests: generous, so only a hang trips it.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    /// <summary>A token cancelled after <see cref="Default"/> or when the test is cancelled.</summary>
    public static CancellationToken Token(TimeSpan? timeout = null)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? Default);
        return cts.Token;
    }

    public static Task<T> Limit<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Default, TestContext.Current.CancellationToken);

    public static Task Limit(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Default, TestContext.Current.CancellationToken);

    /// <summary>Polls <paramref name="condition"/> until it holds, within the time limit.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var token = Token();
        while (!condition())
        {
            await Task.Delay(5, token);
        }
    }

    public static Task<T> Limit<T>(this ValueTask<T> task, TimeSpan? timeout = null) => task.AsTask().Limit(timeout);
}
