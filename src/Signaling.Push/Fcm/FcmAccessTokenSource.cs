using Google.Apis.Auth.OAuth2;
using Google.Apis.Http;
using Google.Apis.Util;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Signaling.Push.Fcm;

/// <summary>
/// OAuth2 access tokens for FCM from the service account, through Google.Apis.Auth: it signs the JWT-bearer
/// assertion, posts it to the account's <c>token_uri</c> and caches the token until shortly before expiry.
/// </summary>
internal sealed partial class FcmAccessTokenSource : IDisposable
{
    /// <summary>The OAuth2 scope for FCM HTTP v1.</summary>
    public const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    private readonly FcmOptions _options;
    private readonly IHttpMessageHandlerFactory _handlers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly Lazy<(ServiceAccountCredential Credential, string ProjectId)> _account;

    public FcmAccessTokenSource(IOptions<FcmOptions> options, IHttpMessageHandlerFactory handlers, TimeProvider time, ILogger<FcmAccessTokenSource> logger)
    {
        _options = options.Value;
        _handlers = handlers;
        _time = time;
        _logger = logger;
        _account = new(CreateCredential, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The Firebase project id: <c>Push:Fcm:ProjectId</c>, else the account's <c>project_id</c>.</summary>
    public string ProjectId => _account.Value.ProjectId;

    /// <summary>A valid access token, cached by Google.Apis.Auth until near expiry.</summary>
    public Task<string> GetAsync(CancellationToken cancellationToken) =>
        _account.Value.Credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);

    /// <summary>Fetches a new token after FCM refused <paramref name="rejected"/>, once however many requests saw it.</summary>
    public async Task<string> RefreshAsync(string rejected, CancellationToken cancellationToken)
    {
        var credential = _account.Value.Credential;
        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            if (string.Equals(credential.Token?.AccessToken, rejected, StringComparison.Ordinal))
            {
                Log.Refreshing(_logger);
                await credential.RequestAccessTokenAsync(cancellationToken);
            }

            return await credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    public void Dispose() => _refreshLock.Dispose();

    private (ServiceAccountCredential, string) CreateCredential()
    {
        var account = _options.LoadServiceAccount();
        var initializer = new ServiceAccountCredential.Initializer(account.ClientEmail, account.TokenUri)
        {
            Scopes = [Scope],
            KeyId = account.PrivateKeyId,
            ProjectId = account.ProjectId,
            Clock = new TimeProviderClock(_time),
            HttpClientFactory = new HandlerFactoryAdapter(_handlers),
        }.FromPrivateKey(account.PrivateKey);
        var projectId = string.IsNullOrWhiteSpace(_options.ProjectId) ? account.ProjectId! : _options.ProjectId;
        Log.CredentialLoaded(_logger, account.ClientEmail, projectId);
        return (new ServiceAccountCredential(initializer), projectId);
    }

    /// <summary>Google.Apis.Auth's clock, driven by the host's <see cref="TimeProvider"/>.</summary>
    private sealed class TimeProviderClock(TimeProvider time) : IClock
    {
        public DateTime Now => time.GetLocalNow().DateTime;

        public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
    }

    /// <summary>
    /// Routes Google.Apis.Auth's token requests through the <see cref="PushHttpClientNames.FcmOAuth"/> handler of
    /// IHttpClientFactory (default: SocketsHttpHandler trusting the machine store), so hosts can add a proxy or a CA.
    /// </summary>
    private sealed class HandlerFactoryAdapter(IHttpMessageHandlerFactory handlers) : HttpClientFactory
    {
        protected override HttpMessageHandler CreateHandler(CreateHttpClientArgs args) =>
            handlers.CreateHandler(PushHttpClientNames.FcmOAuth);
    }
}
