using System.Diagnostics.Metrics;
using Signaling.Push.Devices;

namespace Signaling.Push;

/// <summary>Names of the push library's metrics.</summary>
public static class PushDiagnostics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Signaling.Push";

    /// <summary>Counter of final outcomes, tagged <c>platform</c>, <c>kind</c>, <c>status</c> and <c>reason</c>.</summary>
    public const string OutcomesCounter = "signaling.push.outcomes";

    /// <summary>Counter of HTTP attempts, tagged <c>platform</c>, <c>result</c> and <c>status_code</c>.</summary>
    public const string RequestsCounter = "signaling.push.requests";
}

/// <summary>The "Signaling.Push" meter's instruments.</summary>
internal sealed class PushMetrics
{
    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _requests;

    public PushMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(PushDiagnostics.MeterName);
        _outcomes = meter.CreateCounter<long>(PushDiagnostics.OutcomesCounter, "{push}", "Ring and cancel pushes by final outcome.");
        _requests = meter.CreateCounter<long>(PushDiagnostics.RequestsCounter, "{request}", "HTTP attempts at APNs and FCM.");
    }

    public void Outcome(PushOutcome outcome) => _outcomes.Add(
        1,
        new KeyValuePair<string, object?>("platform", Wire.Platform(outcome.Platform)),
        new KeyValuePair<string, object?>("kind", outcome.Kind == PushKind.Ring ? "ring" : "cancel"),
        new KeyValuePair<string, object?>("status", Wire.Status(outcome.Status)),
        new KeyValuePair<string, object?>("reason", outcome.Reason));

    public void Request(DevicePlatform platform, PushAttemptResult result) => _requests.Add(
        1,
        new KeyValuePair<string, object?>("platform", Wire.Platform(platform)),
        new KeyValuePair<string, object?>("result", Wire.Verdict(result.Verdict)),
        new KeyValuePair<string, object?>("status_code", result.StatusCode));
}

/// <summary>Lower-case names for enums in logs and metric tags.</summary>
internal static class Wire
{
    public static string Platform(DevicePlatform platform) => platform == DevicePlatform.Ios ? "ios" : "android";

    public static string Kind(PushKind kind) => kind == PushKind.Ring ? "ring" : "cancel";

    public static string Status(PushStatus status) => status switch
    {
        PushStatus.Pending => "pending",
        PushStatus.Sent => "sent",
        PushStatus.Failed => "failed",
        PushStatus.TokenRemoved => "tokenRemoved",
        PushStatus.Skipped => "skipped",
        PushStatus.Duplicate => "duplicate",
        _ => "unknown",
    };

    public static string Verdict(AttemptVerdict verdict) => verdict switch
    {
        AttemptVerdict.Sent => "sent",
        AttemptVerdict.TokenDead => "tokenDead",
        AttemptVerdict.Retry => "retry",
        AttemptVerdict.Ambiguous => "ambiguous",
        _ => "failed",
    };
}
