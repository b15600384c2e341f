using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Signaling.Rooms.Invitations;

/// <summary>Call-invitation settings, bound from the <c>Invitations</c> configuration section.</summary>
public sealed class InvitationOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Invitations";

    /// <summary>Ringing time in seconds when the sender gives none. Default 90.</summary>
    [Range(1, 3600)]
    public int DefaultTimeout { get; set; } = 90;

    /// <summary>Longest ringing time a sender may ask for, in seconds. Default 600.</summary>
    [Range(1, 3600)]
    public int MaxTimeout { get; set; } = 600;

    /// <summary>Most invitees per invitation. Default 9.</summary>
    [Range(1, 100)]
    public int MaxInvitees { get; set; } = 9;

    /// <summary>Longest <c>extendedData</c> (and push title, content, payload), in UTF-8 bytes. Default 2048.</summary>
    [Range(0, 65536)]
    public int MaxExtendedDataLength { get; set; } = 2048;

    /// <summary>How long a send's idempotency key is remembered. Default 24 hours.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan IdempotencyKeyTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Leave out (with reason <c>busy</c>) invitees who are in an ongoing call. Default false.</summary>
    public bool RefuseBusyInvitees { get; set; }

    /// <summary>How long an accepted call counts as ongoing unless <c>EndCall</c> ends it earlier. Default 2 hours.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan BusyWindow { get; set; } = TimeSpan.FromHours(2);

    /// <summary>How often the sweeper looks for passed deadlines. Default 250 ms; at most 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:01")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an invitation stays readable after it stopped ringing. Default 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(1);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DefaultTimeout > MaxTimeout)
        {
            yield return new ValidationResult(
                $"{nameof(DefaultTimeout)} ({DefaultTimeout}) must not exceed {nameof(MaxTimeout)} ({MaxTimeout}).",
                [nameof(DefaultTimeout)]);
        }
    }
}

/// <summary>Source-generated validator for <see cref="InvitationOptions"/>.</summary>
[OptionsValidator]
internal sealed partial class InvitationOptionsValidator : IValidateOptions<InvitationOptions>;
