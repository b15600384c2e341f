using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Signaling.Push.Apns;
using Signaling.Push.Fcm;

namespace Signaling.Push.Dispatch;

/// <summary>Runs the <see cref="PushDispatcher"/> queue for the host's lifetime and reports which platforms are on.</summary>
internal sealed partial class PushDispatcherService : IHostedService
{
    private readonly PushDispatcher _dispatcher;
    private readonly ApnsOptions _apns;
    private readonly FcmOptions _fcm;
    private readonly FcmAccessTokenSource _fcmTokens;
    private readonly ILogger _logger;

    public PushDispatcherService(PushDispatcher dispatcher, IOptions<ApnsOptions> apns, IOptions<FcmOptions> fcm, FcmAccessTokenSource fcmTokens, ILogger<PushDispatcherService> logger)
    {
        _dispatcher = dispatcher;
        _apns = apns.Value;
        _fcm = fcm.Value;
        _fcmTokens = fcmTokens;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_apns.IsEnabled)
        {
            var origin = _apns.Endpoint?.ToString() ?? (_apns.Environment == ApnsEnvironment.Sandbox ? "sandbox" : "production");
            Log.ApnsEnabled(_logger, _apns.KeyId!, _apns.TeamId!, origin, _apns.BundleId);
        }
        else
        {
            Log.ApnsDisabled(_logger);
        }

        if (_fcm.IsEnabled)
        {
            Log.FcmEnabled(_logger, _fcmTokens.ProjectId, _fcm.Endpoint?.ToString() ?? FcmClient.DefaultOrigin.ToString());
        }
        else
        {
            Log.FcmDisabled(_logger);
        }

        _dispatcher.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _dispatcher.StopAsync(cancellationToken);
}
