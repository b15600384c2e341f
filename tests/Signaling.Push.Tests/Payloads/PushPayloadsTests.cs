using System.Net;
using System.Text;
using System.Text.Json;
using Signaling.Push.Devices;
using Signaling.Push.Fcm;
using Signaling.Push.Payloads;

namespace Signaling.Push.Tests.Payloads;

public sealed class PushPayloadsTests
{
    private static readonly DateTimeOffset Deadline = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);

    private static RingRequest Ring(string? extendedData = "x", PushConfig? config = null) => new()
    {
        InvitationId = "inv-1",
        Inviter = "alice",
        ExtendedData = extendedData,
        Deadline = Deadline,
        PushConfig = config,
        Devices = [],
    };

    [Fact]
    public void Voip_payload_carries_the_invitation_facts()
    {
        var json = JsonDocument.Parse(PushPayloads.VoipRing(Ring("{\"a\":1}", new PushConfig("T", "C", "P")))).RootElement;

        Assert.Equal("invitation.ring", json.GetProperty("type").GetString());
        Assert.Equal("inv-1", json.GetProperty("invitationId").GetString());
        Assert.Equal("alice", json.GetProperty("inviter").GetString());
        Assert.Equal("{\"a\":1}", json.GetProperty("extendedData").GetString());
        Assert.Equal(1_900_000_000, json.GetProperty("deadline").GetInt64());
        Assert.Equal("T", json.GetProperty("pushConfig").GetProperty("title").GetString());
        Assert.Equal("C", json.GetProperty("pushConfig").GetProperty("content").GetString());
        Assert.Equal("P", json.GetProperty("pushConfig").GetProperty("payload").GetString());
        Assert.False(json.TryGetProperty("aps", out _));
    }

    [Fact]
    public void Non_ascii_text_stays_utf8_instead_of_escapes()
    {
        var bytes = PushPayloads.VoipRing(Ring(config: new PushConfig("张三", "来电")));

        Assert.Contains("张三", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Fcm_ring_data_values_are_strings()
    {
        var data = PushPayloads.FcmRing(Ring(config: new PushConfig("T")));

        Assert.Equal("1900000000", data["deadline"]);
        Assert.Equal("invitation.ring", data["type"]);
        Assert.Equal("{\"title\":\"T\"}", data["pushConfig"]);
        Assert.False(PushPayloads.FcmRing(Ring(extendedData: null)).ContainsKey("extendedData"));
    }

    [Fact]
    public void Ios_cancel_is_background_without_texts_and_alert_with_them()
    {
        var silent = new CancelRequest { InvitationId = "i", Reason = CancelReason.Timeout, Devices = [] };
        var alert = silent with { PushConfig = new PushConfig(Content: "Missed call") };

        var background = JsonDocument.Parse(PushPayloads.ApnsCancel(silent)).RootElement;
        var visible = JsonDocument.Parse(PushPayloads.ApnsCancel(alert)).RootElement;

        Assert.False(PushPayloads.IsAlert(silent));
        Assert.Equal(1, background.GetProperty("aps").GetProperty("content-available").GetInt32());
        Assert.Equal("timeout", background.GetProperty("reason").GetString());
        Assert.True(PushPayloads.IsAlert(alert));
        Assert.Equal("Missed call", visible.GetProperty("aps").GetProperty("alert").GetProperty("body").GetString());
    }

    [Theory]
    [InlineData(CancelReason.Cancelled, "cancelled")]
    [InlineData(CancelReason.Timeout, "timeout")]
    [InlineData(CancelReason.AnsweredElsewhere, "answeredElsewhere")]
    public void Cancel_reasons_on_the_wire(CancelReason reason, string wire)
    {
        Assert.Equal(wire, PushPayloads.FcmCancel(new CancelRequest { InvitationId = "i", Reason = reason, Devices = [] })["reason"]);
    }

    [Fact]
    public void Fcm_data_size_counts_utf8_keys_and_values()
    {
        Assert.Equal(1 + 3 + 2 + 6, PushPayloads.FcmDataSize(new Dictionary<string, string> { ["a"] = "bcd", ["ef"] = "张三" }));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(-5, "0s")]
    [InlineData(37, "37s")]
    [InlineData(36.2, "37s")]
    [InlineData(3600, "3600s")]
    public void Fcm_ttl_is_whole_seconds_rounded_up(double seconds, string expected)
    {
        Assert.Equal(expected, FcmClient.FormatTtl(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Fcm_body_shape()
    {
        var body = FcmClient.Serialize(new FcmPush("tok", new Dictionary<string, string> { ["k"] = "v" }, TimeSpan.FromSeconds(37), "inv-1"));

        Assert.Equal(
            "{\"message\":{\"token\":\"tok\",\"data\":{\"k\":\"v\"},\"android\":{\"priority\":\"high\",\"ttl\":\"37s\",\"collapse_key\":\"inv-1\"}}}",
            Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void Device_json_uses_the_public_field_names()
    {
        var device = new PushDevice("u", "d", DevicePlatform.Ios, VoipToken: "v", ApnsToken: "a", BundleId: "b", Sandbox: true);

        var json = JsonSerializer.Serialize(device);

        Assert.Equal("{\"userId\":\"u\",\"deviceId\":\"d\",\"platform\":\"ios\",\"voipToken\":\"v\",\"apnsToken\":\"a\",\"fcmToken\":null,\"bundleId\":\"b\",\"sandbox\":true}", json);
        Assert.Equal(device, JsonSerializer.Deserialize<PushDevice>(json));
        Assert.Equal(DevicePlatform.Android, JsonSerializer.Deserialize<PushDevice>("{\"userId\":\"u\",\"deviceId\":\"d\",\"platform\":\"android\"}")!.Platform);
    }
}

public sealed class PushAttemptResultTests
{
    public static TheoryData<Exception, string, string> Cases => new()
    {
        { new HttpRequestException(HttpRequestError.ConnectionError), "Retry", "Network:ConnectionError" },
        { new HttpRequestException(HttpRequestError.NameResolutionError), "Retry", "Network:NameResolutionError" },
        { new HttpRequestException(HttpRequestError.SecureConnectionError), "Retry", "Network:SecureConnectionError" },
        { new HttpRequestException(HttpRequestError.ResponseEnded), "Ambiguous", "Network:ResponseEnded" },
        { new TaskCanceledException("t", new TimeoutException()), "Ambiguous", "Timeout" },
        { new InvalidOperationException(), "Failed", "InvalidOperationException" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Only_failures_before_the_request_left_are_safe_to_retry(Exception exception, string verdict, string reason)
    {
        var result = PushAttemptResult.FromException(exception);

        Assert.Equal((Enum.Parse<AttemptVerdict>(verdict), reason), (result.Verdict, result.Reason));
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Forbidden, false)]
    [InlineData(HttpStatusCode.Gone, false)]
    public void Retryable_statuses(HttpStatusCode status, bool retryable)
    {
        Assert.Equal(retryable, PushAttemptResult.IsRetryableStatus(status));
    }
}
