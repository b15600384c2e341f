using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Signaling.Rooms.Redis;

/// <summary>
/// Redis for rooms, the relay directory and invitations: section <c>Redis</c>, plus <c>Cluster:NodeTimeout</c> and
/// <c>Cluster:HeartbeatInterval</c>.
/// </summary>
public sealed class RoomsRedisOptions : IValidatableObject
{
    /// <summary>The configuration section of <see cref="Configuration"/> and <see cref="KeyPrefix"/>.</summary>
    public const string SectionName = "Redis";

    /// <summary>The configuration section of <see cref="NodeTimeout"/> and <see cref="HeartbeatInterval"/>.</summary>
    public const string ClusterSectionName = "Cluster";

    /// <summary>
    /// A StackExchange.Redis configuration string (<c>Redis:Configuration</c>, e.g. <c>redis:6379,password=…</c>).
    /// Default empty: the host keeps the in-memory stores and does not call <c>UseRedis()</c>.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>
    /// Prefix of every key and channel (<c>Redis:KeyPrefix</c>). Default <c>signaling:</c>. With Redis Cluster, put a hash
    /// tag in it (e.g. <c>{signaling}:</c>) so that the scripts' keys share one slot.
    /// </summary>
    [Required]
    [MinLength(1)]
    [MaxLength(128)]
    public string KeyPrefix { get; set; } = "signaling:";

    /// <summary>
    /// How long a node may go without a heartbeat before another node declares it dead and removes its peers
    /// (<c>Cluster:NodeTimeout</c>). Default 10 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a node refreshes its heartbeat and checks the others (<c>Cluster:HeartbeatInterval</c>).
    /// Default null: a third of <see cref="NodeTimeout"/>.
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>The heartbeat period in force.</summary>
    internal TimeSpan EffectiveHeartbeatInterval => HeartbeatInterval ?? NodeTimeout / 3;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            yield return new ValidationResult(
                "Redis:Configuration must be set when UseRedis() is called (leave UseRedis() out to keep the in-memory stores).",
                [nameof(Configuration)]);
        }

        if (HeartbeatInterval is { } interval && (interval <= TimeSpan.Zero || interval >= NodeTimeout))
        {
            yield return new ValidationResult(
                $"{nameof(HeartbeatInterval)} ({interval}) must be positive and shorter than {nameof(NodeTimeout)} ({NodeTimeout}).",
                [nameof(HeartbeatInterval)]);
        }
    }
}

/// <summary>Source-generated validator for <see cref="RoomsRedisOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class RoomsRedisOptionsValidator : IValidateOptions<RoomsRedisOptions>;
