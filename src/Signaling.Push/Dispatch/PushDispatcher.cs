using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Signaling.Push.Apns;
using Signaling.Push.Devices;
using Signaling.Push.Fcm;
using Signaling.Push.Payloads;

namespace Signaling.Push.Dispatch;

/// <summary>
/// The <see cref="IPushDispatcher"/>: a bounded queue drained by <see cref="PushDispatcherService"/>. A cancel waits for
/// every job of its invitation queued before it (and stops those rings' pending retries), and rings wait for the cancels
/// before them; rings of one invitation (one job per invitee) run concurrently, so that one invitee's slow or throttled
/// device does not hold up the others' rings. Jobs of different invitations run concurrently, with at most
/// <see cref="PushOptions.MaxConcurrency"/> HTTP requests in flight.
/// </summary>
internal sealed partial class PushDispatcher : IPushDispatcher, IDisposable
{
    private readonly PushOptions _options;
    private readonly ApnsClient _apns;
    private readonly FcmClient _fcm;
    private readonly IDeviceStore _devices;
    private readonly IPushLedger _ledger;
    private readonly PushMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<PushJob> _queue;
    private readonly SemaphoreSlim _concurrency;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lanesLock = new();
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _running = [];
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public PushDispatcher(
        IOptions<PushOptions> options,
        ApnsClient apns,
        FcmClient fcm,
        IDeviceStore devices,
        IPushLedger ledger,
        PushMetrics metrics,
        TimeProvider time,
        ILogger<PushDispatcher> logger)
    {
        _options = options.Value;
        _apns = apns;
        _fcm = fcm;
        _devices = devices;
        _ledger = ledger;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<PushJob>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _concurrency = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
    }

    public bool IsApnsEnabled => _apns.IsEnabled;

    public bool IsFcmEnabled => _fcm.IsEnabled;

    /// <inheritdoc />
    public bool QueueRing(RingRequest request) => TryQueue(new RingJob(Validate(request)));

    /// <inheritdoc />
    public bool QueueCancel(CancelRequest request) => TryQueue(new CancelJob(Validate(request)));

    /// <inheritdoc />
    public async Task<IReadOnlyList<PushOutcome>> RingAsync(RingRequest request, CancellationToken cancellationToken = default)
    {
        var job = new RingJob(Validate(request));
        await QueueAsync(job, cancellationToken);
        return await job.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PushOutcome>> CancelAsync(CancelRequest request, CancellationToken cancellationToken = default)
    {
        var job = new CancelJob(Validate(request));
        await QueueAsync(job, cancellationToken);
        return await job.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Starts draining the queue.</summary>
    public void Start() => _loop = Task.Run(() => DrainAsync(_stopping.Token));

    /// <summary>Stops taking jobs and lets queued and running ones finish until <paramref name="cancellationToken"/> fires.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host can be stopped after it was disposed (test hosts do both); nothing is left to stop then.
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(cancellationToken);
            await WhenRunningDone().WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Log.ShutdownTimedOut(_logger);
        }
        finally
        {
            await _stopping.CancelAsync();
        }

        try
        {
            // Everything waits on _stopping, so this ends promptly; the bound only guards against a stuck store.
            await Task.WhenAll(_loop, WhenRunningDone()).WaitAsync(TimeSpan.FromSeconds(5), _time, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            Log.ShutdownTimedOut(_logger);
        }
    }

    public void Dispose()
    {
        // Registered as itself and as IPushDispatcher, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _stopping.Dispose();
        _concurrency.Dispose();
    }

    private static RingRequest Validate(RingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.InvitationId);
        ArgumentNullException.ThrowIfNull(request.Inviter);
        ArgumentNullException.ThrowIfNull(request.Devices);
        return request;
    }

    private static CancelRequest Validate(CancelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.InvitationId);
        ArgumentNullException.ThrowIfNull(request.Devices);
        return request;
    }

    private bool TryQueue(PushJob job)
    {
        if (_queue.Writer.TryWrite(job))
        {
            return true;
        }

        Log.QueueRejected(_logger, job.InvitationId);
        job.Abandon("QueueFull", _time.GetUtcNow());
        return false;
    }

    private async Task QueueAsync(PushJob job, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(job, cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The push dispatcher is stopping.", ex);
        }
    }

    private Task WhenRunningDone()
    {
        lock (_lanesLock)
        {
            return Task.WhenAll(_running);
        }
    }

    private async Task DrainAsync(CancellationToken stopping)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stopping))
            {
                while (_queue.Reader.TryRead(out var job))
                {
                    StartJob(job, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        while (_queue.Reader.TryRead(out var job))
        {
            job.Abandon("ShuttingDown", _time.GetUtcNow());
        }
    }

    private void StartJob(PushJob job, CancellationToken stopping)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationTokenSource? abortRings = null;
        Lane? lane;
        Task previous;
        lock (_lanesLock)
        {
            if (!_lanes.TryGetValue(job.InvitationId, out lane))
            {
                lane = new Lane();
                _lanes.Add(job.InvitationId, lane);
            }

            lane.Jobs++;
            if (job is CancelJob)
            {
                previous = lane.Rings.Count == 0 ? lane.Barrier : Task.WhenAll([.. lane.Rings, lane.Barrier]);
                lane.Barrier = done.Task;
                lane.Rings.Clear();
                lane.Cancelled = true;
                abortRings = lane.RingAbort;
            }
            else
            {
                previous = lane.Barrier;
                lane.Rings.Add(done.Task);
            }

            _running.Add(done.Task);
        }

        // Outside the lock: cancellation callbacks run inline.
        abortRings?.Cancel();
        _ = RunJobAsync(job, lane, previous, done, stopping);
    }

    private async Task RunJobAsync(PushJob job, Lane lane, Task previous, TaskCompletionSource done, CancellationToken stopping)
    {
        // Leave the drain loop at once: the in-memory stores complete synchronously.
        await Task.Yield();
        try
        {
            await previous;
            var outcomes = job switch
            {
                RingJob ring => await RingCoreAsync(ring.Request, lane, stopping),
                CancelJob cancel => await CancelCoreAsync(cancel.Request, stopping),
                _ => throw new InvalidOperationException(),
            };
            job.Completion.TrySetResult(outcomes);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            job.Abandon("ShuttingDown", _time.GetUtcNow());
        }
        catch (Exception ex)
        {
            Log.JobFailed(_logger, job.InvitationId, ex);
            job.Completion.TrySetException(ex);
        }
        finally
        {
            lock (_lanesLock)
            {
                if (--lane.Jobs == 0)
                {
                    _lanes.Remove(job.InvitationId);
                    lane.RingAbort.Dispose();
                }

                _running.Remove(done.Task);
            }

            done.TrySetResult();
        }
    }

    private async Task<IReadOnlyList<PushOutcome>> RingCoreAsync(RingRequest request, Lane lane, CancellationToken stopping)
    {
        bool cancelled;
        CancellationToken laneAbort;
        lock (_lanesLock)
        {
            cancelled = lane.Cancelled;
            laneAbort = lane.RingAbort.Token;
        }

        if (!cancelled)
        {
            // A cancel noted by another node (shared ledger) also stops late rings.
            cancelled = await _ledger.GetCancelNoteAsync(request.InvitationId, stopping) is not null;
        }

        var timeLeft = request.Deadline - _time.GetUtcNow();
        using var deadline = new CancellationTokenSource(timeLeft > TimeSpan.Zero ? timeLeft : TimeSpan.Zero, _time);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(laneAbort, deadline.Token, stopping);
        var context = new RingContext(request, cancelled, abort.Token, stopping);
        return await Task.WhenAll(request.Devices.Select(device => RingDeviceAsync(context, device)));
    }

    private async Task<PushOutcome> RingDeviceAsync(RingContext context, PushDevice device)
    {
        var request = context.Request;
        var pending = NewOutcome(request.InvitationId, device, PushKind.Ring, PushStatus.Pending);
        PushOutcome outcome;
        try
        {
            if (!await _ledger.TryClaimAsync(pending, request.Deadline + _options.OutcomeRetention, context.Stopping))
            {
                Log.DuplicateSuppressed(_logger, Wire.Kind(PushKind.Ring), request.InvitationId, device.UserId, device.DeviceId);
                outcome = pending with { Status = PushStatus.Duplicate };
                _metrics.Outcome(outcome);
                return outcome;
            }

            outcome = await RingClaimedAsync(context, device, pending);
        }
        catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested)
        {
            outcome = pending with { Status = PushStatus.Skipped, Reason = "ShuttingDown", Timestamp = _time.GetUtcNow() };
        }
        catch (Exception ex)
        {
            Log.DeviceFailed(_logger, Wire.Kind(PushKind.Ring), request.InvitationId, device.DeviceId, ex);
            outcome = pending with { Status = PushStatus.Failed, Reason = ex.GetType().Name, Timestamp = _time.GetUtcNow() };
        }

        outcome = await FinishAsync(outcome);
        if (MayHaveArrived(outcome))
        {
            await CancelIfNotedAsync(context, device);
        }

        return outcome;
    }

    /// <summary>
    /// A cancel that ran (on any node) while this ring was on its way found no rung device: it only left a note.
    /// The ring is recorded before the note is read and the note written before the cancel reads the rings, so
    /// at least one of the two sends the cancel; the ledger's claim makes it exactly one.
    /// </summary>
    private async Task CancelIfNotedAsync(RingContext context, PushDevice device)
    {
        CancelNote? note;
        try
        {
            note = await _ledger.GetCancelNoteAsync(context.Request.InvitationId, context.Stopping);
        }
        catch (Exception ex) when (!context.Stopping.IsCancellationRequested)
        {
            Log.DeviceFailed(_logger, Wire.Kind(PushKind.Cancel), context.Request.InvitationId, device.DeviceId, ex);
            return;
        }

        if (note is not null)
        {
            var request = new CancelRequest { InvitationId = note.InvitationId, Reason = note.Reason, PushConfig = note.PushConfig, Devices = [device] };
            await CancelDeviceAsync(new CancelContext(request), device, context.Stopping);
        }
    }

    /// <summary>Sent, or failed without an answer after it went out (a timeout, a connection lost mid-request).</summary>
    private static bool MayHaveArrived(PushOutcome ring)
        => ring.Status == PushStatus.Sent || (ring.Status == PushStatus.Failed && ring.StatusCode is null && ring.Attempts > 0);

    private async Task<PushOutcome> RingClaimedAsync(RingContext context, PushDevice device, PushOutcome pending)
    {
        var request = context.Request;
        if (context.Cancelled)
        {
            return Skip(pending, "InvitationCancelled");
        }

        if (context.Abort.IsCancellationRequested)
        {
            return Skip(pending, AbortReason(request.Deadline, context.Stopping));
        }

        if (device.Platform == DevicePlatform.Ios)
        {
            if (!_apns.IsEnabled)
            {
                return Skip(pending, "ApnsDisabled");
            }

            if (string.IsNullOrEmpty(device.VoipToken))
            {
                return Skip(pending, "NoVoipToken");
            }

            var bundleId = device.BundleId ?? _apns.DefaultBundleId;
            if (string.IsNullOrEmpty(bundleId))
            {
                return Fail(pending, "NoBundleId");
            }

            var payload = context.VoipPayload;
            if (payload.Length > PushPayloads.VoipLimit)
            {
                Log.PayloadTooLarge(_logger, request.InvitationId, device.DeviceId, payload.Length, PushPayloads.VoipLimit);
                return Fail(pending, "PayloadTooLarge");
            }

            var push = new ApnsPush(device.VoipToken, bundleId + ".voip", "voip", 10, request.Deadline, request.InvitationId, payload, device.Sandbox);
            return await DeliverAsync(pending, PushTokenKind.Voip, device.VoipToken, ct => _apns.SendAsync(push, ct), request.Deadline, context.Abort, context.Stopping);
        }

        if (!_fcm.IsEnabled)
        {
            return Skip(pending, "FcmDisabled");
        }

        if (string.IsNullOrEmpty(device.FcmToken))
        {
            return Skip(pending, "NoFcmToken");
        }

        var data = context.FcmData;
        var size = PushPayloads.FcmDataSize(data);
        if (size > PushPayloads.FcmDataLimit)
        {
            Log.PayloadTooLarge(_logger, request.InvitationId, device.DeviceId, size, PushPayloads.FcmDataLimit);
            return Fail(pending, "PayloadTooLarge");
        }

        var token = device.FcmToken;
        return await DeliverAsync(
            pending,
            PushTokenKind.Fcm,
            token,
            // The TTL is the ring time left at each attempt, so a retried ring never outlives the deadline.
            ct => _fcm.SendAsync(new FcmPush(token, data, request.Deadline - _time.GetUtcNow(), request.InvitationId), ct),
            request.Deadline,
            context.Abort,
            context.Stopping);
    }

    private async Task<IReadOnlyList<PushOutcome>> CancelCoreAsync(CancelRequest request, CancellationToken stopping)
    {
        // The note first: a ring still on its way (on another node) reads it once it is out, see CancelIfNotedAsync.
        await _ledger.NoteCancelAsync(
            new CancelNote(request.InvitationId, request.Reason, request.PushConfig),
            _time.GetUtcNow() + _options.CancelTimeToLive + _options.OutcomeRetention,
            stopping);

        // Rung: a ring that may have arrived. A cancel for a call the device never showed is harmless; a ring left
        // without one is not.
        var rung = (await _ledger.GetOutcomesAsync(request.InvitationId, stopping))
            .Where(o => o.Kind == PushKind.Ring && MayHaveArrived(o))
            .Select(o => (o.UserId, o.DeviceId))
            .ToHashSet();
        var targets = request.Devices.Where(d => rung.Contains((d.UserId, d.DeviceId))).ToList();
        if (targets.Count == 0)
        {
            return [];
        }

        var context = new CancelContext(request);
        return await Task.WhenAll(targets.Select(device => CancelDeviceAsync(context, device, stopping)));
    }

    private async Task<PushOutcome> CancelDeviceAsync(CancelContext context, PushDevice device, CancellationToken stopping)
    {
        var request = context.Request;
        var pending = NewOutcome(request.InvitationId, device, PushKind.Cancel, PushStatus.Pending);
        PushOutcome outcome;
        try
        {
            var expiresAt = _time.GetUtcNow() + _options.CancelTimeToLive;
            if (!await _ledger.TryClaimAsync(pending, expiresAt + _options.OutcomeRetention, stopping))
            {
                Log.DuplicateSuppressed(_logger, Wire.Kind(PushKind.Cancel), request.InvitationId, device.UserId, device.DeviceId);
                outcome = pending with { Status = PushStatus.Duplicate };
                _metrics.Outcome(outcome);
                return outcome;
            }

            outcome = await CancelClaimedAsync(context, device, pending, expiresAt, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            outcome = pending with { Status = PushStatus.Skipped, Reason = "ShuttingDown", Timestamp = _time.GetUtcNow() };
        }
        catch (Exception ex)
        {
            Log.DeviceFailed(_logger, Wire.Kind(PushKind.Cancel), request.InvitationId, device.DeviceId, ex);
            outcome = pending with { Status = PushStatus.Failed, Reason = ex.GetType().Name, Timestamp = _time.GetUtcNow() };
        }

        return await FinishAsync(outcome);
    }

    private async Task<PushOutcome> CancelClaimedAsync(CancelContext context, PushDevice device, PushOutcome pending, DateTimeOffset expiresAt, CancellationToken stopping)
    {
        var request = context.Request;
        if (device.Platform == DevicePlatform.Ios)
        {
            if (!_apns.IsEnabled)
            {
                return Skip(pending, "ApnsDisabled");
            }

            // Never a VoIP push: iOS requires every VoIP push to report a new call. The cancel goes to the app's
            // regular token and topic instead.
            if (string.IsNullOrEmpty(device.ApnsToken))
            {
                return Skip(pending, "NoApnsToken");
            }

            var bundleId = device.BundleId ?? _apns.DefaultBundleId;
            if (string.IsNullOrEmpty(bundleId))
            {
                return Fail(pending, "NoBundleId");
            }

            var payload = context.ApnsPayload;
            if (payload.Length > PushPayloads.ApnsLimit)
            {
                Log.PayloadTooLarge(_logger, request.InvitationId, device.DeviceId, payload.Length, PushPayloads.ApnsLimit);
                return Fail(pending, "PayloadTooLarge");
            }

            // Apple requires priority 5 for background pushes.
            var alert = PushPayloads.IsAlert(request);
            var push = new ApnsPush(device.ApnsToken, bundleId, alert ? "alert" : "background", alert ? 10 : 5, expiresAt, request.InvitationId, payload, device.Sandbox);
            return await DeliverAsync(pending, PushTokenKind.Apns, device.ApnsToken, ct => _apns.SendAsync(push, ct), null, stopping, stopping);
        }

        if (!_fcm.IsEnabled)
        {
            return Skip(pending, "FcmDisabled");
        }

        if (string.IsNullOrEmpty(device.FcmToken))
        {
            return Skip(pending, "NoFcmToken");
        }

        var data = context.FcmData;
        var size = PushPayloads.FcmDataSize(data);
        if (size > PushPayloads.FcmDataLimit)
        {
            Log.PayloadTooLarge(_logger, request.InvitationId, device.DeviceId, size, PushPayloads.FcmDataLimit);
            return Fail(pending, "PayloadTooLarge");
        }

        // Same collapse key as the ring: an offline phone that has not received the ring yet gets only the cancel.
        var fcmPush = new FcmPush(device.FcmToken, data, _options.CancelTimeToLive, request.InvitationId);
        return await DeliverAsync(pending, PushTokenKind.Fcm, device.FcmToken, ct => _fcm.SendAsync(fcmPush, ct), null, stopping, stopping);
    }

    /// <summary>Attempts, retries with back-off, and turns the last attempt into an outcome.</summary>
    private async Task<PushOutcome> DeliverAsync(
        PushOutcome pending,
        PushTokenKind tokenKind,
        string token,
        Func<CancellationToken, Task<PushAttemptResult>> attempt,
        DateTimeOffset? deadline,
        CancellationToken abort,
        CancellationToken stopping)
    {
        var attempts = 0;
        while (true)
        {
            PushAttemptResult result;
            try
            {
                await _concurrency.WaitAsync(abort);
                try
                {
                    attempts++;

                    // In-flight requests only stop for shutdown: aborting one could leave a delivered ring without its cancel.
                    result = await attempt(stopping);
                }
                finally
                {
                    _concurrency.Release();
                }
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                var reason = AbortReason(deadline, stopping);
                return attempts == 0 ? Skip(pending, reason) : Fail(pending, reason, null, attempts);
            }

            _metrics.Request(pending.Platform, result);
            switch (result.Verdict)
            {
                case AttemptVerdict.Sent:
                    return pending with { Status = PushStatus.Sent, StatusCode = result.StatusCode, Attempts = attempts, Timestamp = _time.GetUtcNow() };

                case AttemptVerdict.TokenDead:
                    var removed = await _devices.RemoveTokenAsync(pending.UserId, pending.DeviceId, tokenKind, token, CancellationToken.None);
                    Log.TokenRemoved(_logger, pending.UserId, pending.DeviceId, tokenKind.ToString(), TokenHint.For(token), result.Reason, removed);
                    return pending with { Status = PushStatus.TokenRemoved, Reason = result.Reason, StatusCode = result.StatusCode, Attempts = attempts, Timestamp = _time.GetUtcNow() };

                case AttemptVerdict.Failed:
                // A ring that may have arrived is not sent again: at most one ring per device.
                case AttemptVerdict.Ambiguous when pending.Kind == PushKind.Ring:
                    return Fail(pending, result.Reason, result.StatusCode, attempts);
            }

            if (attempts >= _options.MaxAttempts)
            {
                return Fail(pending, result.Reason, result.StatusCode, attempts);
            }

            if (result.RetryAfter > _options.RetryMaxDelay)
            {
                Log.RetryAfterTooLong(_logger, pending.InvitationId, pending.DeviceId, result.RetryAfter.Value);
                return Fail(pending, result.Reason, result.StatusCode, attempts);
            }

            var delay = result.RetryAfter ?? Backoff(attempts);
            Log.Retrying(_logger, Wire.Kind(pending.Kind), pending.InvitationId, pending.DeviceId, result.Reason, attempts, delay);
            try
            {
                await Task.Delay(delay, _time, abort);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                return Fail(pending, AbortReason(deadline, stopping), result.StatusCode, attempts);
            }
        }
    }

    private TimeSpan Backoff(int attempts)
    {
        var exponential = _options.RetryBaseDelay * Math.Pow(2, attempts - 1);
        var capped = exponential < _options.RetryMaxDelay ? exponential : _options.RetryMaxDelay;
        return capped * (0.8 + (0.4 * Random.Shared.NextDouble()));
    }

    private string AbortReason(DateTimeOffset? deadline, CancellationToken stopping) =>
        stopping.IsCancellationRequested ? "ShuttingDown"
        : deadline is { } d && _time.GetUtcNow() >= d ? "DeadlinePassed"
        : "InvitationCancelled";

    private async Task<PushOutcome> FinishAsync(PushOutcome outcome)
    {
        try
        {
            // Recorded even during shutdown: the ledger is what stops a second ring.
            await _ledger.RecordAsync(outcome, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.LedgerWriteFailed(_logger, outcome.InvitationId, outcome.DeviceId, ex);
        }

        _metrics.Outcome(outcome);
        Log.Outcome(_logger, Wire.Kind(outcome.Kind), outcome.InvitationId, outcome.UserId, outcome.DeviceId, Wire.Platform(outcome.Platform), Wire.Status(outcome.Status), outcome.Reason, outcome.Attempts);
        return outcome;
    }

    private PushOutcome NewOutcome(string invitationId, PushDevice device, PushKind kind, PushStatus status) =>
        new(invitationId, device.UserId, device.DeviceId, device.Platform, kind, status, null, null, 0, _time.GetUtcNow());

    private PushOutcome Skip(PushOutcome pending, string reason) =>
        pending with { Status = PushStatus.Skipped, Reason = reason, Timestamp = _time.GetUtcNow() };

    private PushOutcome Fail(PushOutcome pending, string? reason, int? statusCode = null, int attempts = 0) =>
        pending with { Status = PushStatus.Failed, Reason = reason, StatusCode = statusCode, Attempts = attempts, Timestamp = _time.GetUtcNow() };

    /// <summary>The jobs of one invitation: their order, and the switch that stops its rings.</summary>
    private sealed class Lane
    {
        /// <summary>Done when the last cancel, and everything queued before it, is done; where a new job starts.</summary>
        public Task Barrier { get; set; } = Task.CompletedTask;

        /// <summary>Rings queued since the last cancel, which the next cancel waits for (their tasks never fault).</summary>
        public List<Task> Rings { get; } = [];

        public int Jobs { get; set; }

        public bool Cancelled { get; set; }

        public CancellationTokenSource RingAbort { get; } = new();
    }

    private sealed class RingContext(RingRequest request, bool cancelled, CancellationToken abort, CancellationToken stopping)
    {
        private byte[]? _voipPayload;
        private Dictionary<string, string>? _fcmData;

        public RingRequest Request { get; } = request;

        public bool Cancelled { get; } = cancelled;

        public CancellationToken Abort { get; } = abort;

        public CancellationToken Stopping { get; } = stopping;

        // Built once per request and shared by its devices (a benign race at worst builds it twice).
        public byte[] VoipPayload => _voipPayload ??= PushPayloads.VoipRing(Request);

        public Dictionary<string, string> FcmData => _fcmData ??= PushPayloads.FcmRing(Request);
    }

    private sealed class CancelContext(CancelRequest request)
    {
        private byte[]? _apnsPayload;
        private Dictionary<string, string>? _fcmData;

        public CancelRequest Request { get; } = request;

        public byte[] ApnsPayload => _apnsPayload ??= PushPayloads.ApnsCancel(Request);

        public Dictionary<string, string> FcmData => _fcmData ??= PushPayloads.FcmCancel(Request);
    }
}
