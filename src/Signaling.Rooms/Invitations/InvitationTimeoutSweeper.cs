using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Signaling.Rooms.Invitations;

/// <summary>
/// Times out invitations whose deadline passed: one <see cref="PeriodicTimer"/> on <see cref="TimeProvider"/> every
/// <see cref="InvitationOptions.SweepInterval"/>, claiming due entries from the store's deadline index. Runs on every
/// node; the store makes each timeout commit (and publish) exactly once.
/// </summary>
public sealed partial class InvitationTimeoutSweeper : BackgroundService
{
    private readonly InvitationService _service;
    private readonly IInvitationStore _store;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<InvitationOptions> _options;
    private readonly ILogger<InvitationTimeoutSweeper> _logger;
    private long _sweeps;

    /// <summary>Creates the sweeper.</summary>
    public InvitationTimeoutSweeper(
        InvitationService service,
        IInvitationStore store,
        TimeProvider timeProvider,
        IOptionsMonitor<InvitationOptions> options,
        ILogger<InvitationTimeoutSweeper> logger)
    {
        _service = service;
        _store = store;
        _time = timeProvider;
        _options = options;
        _logger = logger;
    }

    /// <summary>Number of completed sweeps (for tests and diagnostics).</summary>
    internal long CompletedSweeps => Interlocked.Read(ref _sweeps);

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.CurrentValue.SweepInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await SweepOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>Runs one sweep: timeouts first, then retention cleanup.</summary>
    internal async Task SweepOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var expired = await _service.ExpireDueAsync(cancellationToken).ConfigureAwait(false);
            if (expired > 0)
            {
                Log.Swept(_logger, expired);
            }

            await _store.RemoveExpiredAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Claimed entries come back after their lease, so the next sweeps retry them.
            Log.SweepFailed(_logger, ex);
        }
        finally
        {
            Interlocked.Increment(ref _sweeps);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Debug, "Timed out {Count} invitation(s).", EventName = "Swept")]
        public static partial void Swept(ILogger logger, int count);

        [LoggerMessage(21, LogLevel.Error, "Invitation timeout sweep failed.", EventName = "SweepFailed")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
