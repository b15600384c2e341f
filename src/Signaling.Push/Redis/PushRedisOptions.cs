using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Signaling.Push.Redis;

/// <summary>Where the Redis push stores keep their keys, bound from <c>Redis</c> (the section the Rooms library uses too).</summary>
public sealed class PushRedisOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Redis";

    /// <summary>
    /// Prefix of every key (<c>Redis:KeyPrefix</c>), shared with the Rooms library. Default <c>signaling:</c>. With Redis
    /// Cluster, put a hash tag in it (e.g. <c>{signaling}:</c>).
    /// </summary>
    [Required]
    [MinLength(1)]
    [MaxLength(128)]
    public string KeyPrefix { get; set; } = "signaling:";
}

/// <summary>Generated validation of <see cref="PushRedisOptions"/> (data annotations).</summary>
[OptionsValidator]
internal sealed partial class PushRedisOptionsValidator : IValidateOptions<PushRedisOptions>;
