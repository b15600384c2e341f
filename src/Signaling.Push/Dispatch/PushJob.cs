using Signaling.Push.Devices;

namespace Signaling.Push.Dispatch;

/// <summary>A queued ring or cancel and the completion its caller may await.</summary>
internal abstract class PushJob
{
    public abstract string InvitationId { get; }

    public TaskCompletionSource<IReadOnlyList<PushOutcome>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes the job without sending anything (the dispatcher stopped before running it).</summary>
    public abstract void Abandon(string reason, DateTimeOffset now);

    protected static PushOutcome Skipped(string invitationId, PushDevice device, PushKind kind, string reason, DateTimeOffset now) =>
        new(invitationId, device.UserId, device.DeviceId, device.Platform, kind, PushStatus.Skipped, reason, null, 0, now);
}

internal sealed class RingJob(RingRequest request) : PushJob
{
    public RingRequest Request { get; } = request;

    public override string InvitationId => Request.InvitationId;

    public override void Abandon(string reason, DateTimeOffset now) =>
        Completion.TrySetResult([.. Request.Devices.Select(d => Skipped(InvitationId, d, PushKind.Ring, reason, now))]);
}

internal sealed class CancelJob(CancelRequest request) : PushJob
{
    public CancelRequest Request { get; } = request;

    public override string InvitationId => Request.InvitationId;

    public override void Abandon(string reason, DateTimeOffset now) =>
        Completion.TrySetResult([.. Request.Devices.Select(d => Skipped(InvitationId, d, PushKind.Cancel, reason, now))]);
}
