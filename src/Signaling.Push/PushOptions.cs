using System.ComponentModel.DataAnnotations;

namespace Signaling.Push;

/// <summary>Push dispatch settings, bound from <c>Push</c>.</summary>
public sealed class PushOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Push";

    /// <summary>Most HTTP requests to APNs and FCM in flight at once. Default 16.</summary>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Most ring/cancel requests waiting in the background queue. Default 10000.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Most HTTP attempts per push, counting the first (429, 5xx and connect failures are retried). Default 4.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Back-off before the first retry, doubled for each further one (with ±20% jitter). Default 1 second.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest back-off; a larger <c>Retry-After</c> ends the retries instead. Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long APNs/FCM keep a cancel push for an offline device. Default 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "28.00:00:00")]
    public TimeSpan CancelTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the in-memory ledger keeps outcomes after the invitation's deadline. Default 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan OutcomeRetention { get; set; } = TimeSpan.FromHours(1);
}
