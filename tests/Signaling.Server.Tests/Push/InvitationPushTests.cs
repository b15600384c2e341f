using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Signaling.Server.Tests.TestSupport;
using Signaling.TestKit.PushStandIns;

namespace Signaling.Server.Tests.Push;

/// <summary>
/// Invitations ring offline devices through the server's push bridge, end to end: REST and Socket.IO in, the APNs and
/// FCM stand-ins (which check what Apple and Google check) out. Orderings are proved with the dispatcher's per-invitation
/// lane (a cancel runs after every ring queued before it), never with a pause.
/// </summary>
public sealed class InvitationPushTests(PushServerFixture fixture) : IClassFixture<PushServerFixture>
{
    private const string CustomBundleId = "com.example.callapp";

    private PushServer Server => fixture.Server;

    private ApnsStandIn Apns => fixture.StandIns.Apns;

    private FcmStandIn Fcm => fixture.StandIns.Fcm;

    [Fact]
    public async Task Offline_devices_get_one_ring_even_when_the_send_is_retried_and_a_cancel_that_is_never_a_VoIP_push()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        var iphone = await Server.RegisterIosAsync(bob, "bob-iphone", CustomBundleId);
        var pixel = await Server.RegisterAndroidAsync(carol, "carol-pixel");
        using var inviter = Server.As(alice);
        var body = new
        {
            invitees = new[] { bob, carol },
            timeout = 60,
            extendedData = "{\"video\":true}",
            pushConfig = new { title = "Alice", content = "Incoming call", payload = "{\"k\":1}" },
        };
        var key = Guid.NewGuid().ToString("N");

        using var sent = await inviter.PostJson("/v1/invitations", body, key);
        var first = await sent.Expect(HttpStatusCode.Created);
        var id = first.Str("invitationId");
        var deadline = first.GetProperty("deadline").GetDateTimeOffset();
        await StandInWaits.Until(() => Apns.To(iphone.VoipToken).Count == 1 && Fcm.To(pixel.FcmToken).Count == 1, "the rings");

        using var retried = await inviter.PostJson("/v1/invitations", body, key);
        Assert.Equal(id, (await retried.Expect(HttpStatusCode.OK)).Str("invitationId"));
        await (await inviter.Cancel(id)).Expect(HttpStatusCode.OK);
        await StandInWaits.Until(() => Apns.To(iphone.ApnsToken).Count == 1 && Fcm.To(pixel.FcmToken).Count == 2, "the cancels");

        // The ring: one VoIP push, as PushKit needs it.
        var ring = Assert.Single(Apns.To(iphone.VoipToken));
        Assert.Equal(200, ring.Status);
        Assert.Equal("HTTP/2", ring.Protocol);
        Assert.Equal("voip", ring.Header("apns-push-type"));
        Assert.Equal(CustomBundleId + ".voip", ring.Header("apns-topic"));
        Assert.Equal("10", ring.Header("apns-priority"));
        Assert.Equal(deadline.ToUnixTimeSeconds().ToString(), ring.Header("apns-expiration"));
        Assert.Equal(id, ring.Header("apns-collapse-id"));
        var voip = ring.Json;
        Assert.Equal(id, voip.Str("invitationId"));
        Assert.Equal(alice, voip.Str("inviter"));
        Assert.Equal("{\"video\":true}", voip.Str("extendedData"));
        Assert.Equal(deadline.ToUnixTimeSeconds(), voip.GetProperty("deadline").GetInt64());
        Assert.Equal("Alice", voip.GetProperty("pushConfig").Str("title"));
        Assert.Equal("Incoming call", voip.GetProperty("pushConfig").Str("content"));
        Assert.Equal("{\"k\":1}", voip.GetProperty("pushConfig").Str("payload"));

        // Android: a high-priority data message (string values only) that lives until the deadline at most.
        var fcm = Fcm.To(pixel.FcmToken);
        Assert.All(fcm, r => Assert.Equal(200, r.Status));
        var androidRing = fcm[0];
        Assert.Equal("high", androidRing.Android.Str("priority"));
        Assert.Equal(id, androidRing.Android.Str("collapse_key"));
        var ttl = Ttl(androidRing.Android.Str("ttl"));
        Assert.InRange(ttl, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.All(androidRing.Message.GetProperty("data").EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
        Assert.Equal("invitation.ring", androidRing.Data["type"]);
        Assert.Equal(id, androidRing.Data["invitationId"]);
        Assert.Equal(alice, androidRing.Data["inviter"]);
        Assert.Equal("{\"video\":true}", androidRing.Data["extendedData"]);
        Assert.Equal(deadline.ToUnixTimeSeconds().ToString(), androidRing.Data["deadline"]);
        Assert.Equal("Alice", JsonDocument.Parse(androidRing.Data["pushConfig"]).RootElement.Str("title"));

        // The cancel: a regular (alert, since the invitation has texts) push on the app's own topic, never VoIP.
        var cancel = Assert.Single(Apns.To(iphone.ApnsToken));
        Assert.Equal(200, cancel.Status);
        Assert.Equal("alert", cancel.Header("apns-push-type"));
        Assert.Equal(CustomBundleId, cancel.Header("apns-topic"));
        Assert.Equal(id, cancel.Header("apns-collapse-id"));
        Assert.Equal("invitation.cancel", cancel.Json.Str("type"));
        Assert.Equal(id, cancel.Json.Str("invitationId"));
        Assert.Equal("cancelled", cancel.Json.Str("reason"));
        Assert.Single(Apns.Requests, r => r.Header("apns-push-type") == "voip" && (r.DeviceToken == iphone.VoipToken || r.DeviceToken == iphone.ApnsToken));
        var androidCancel = fcm[1];
        Assert.Equal("invitation.cancel", androidCancel.Data["type"]);
        Assert.Equal(id, androidCancel.Data["invitationId"]);
        Assert.Equal("cancelled", androidCancel.Data["reason"]);
        Assert.Equal(id, androidCancel.Android.Str("collapse_key"));

        // GET /v1/invitations/{id} lists one ring and one cancel per device, all sent.
        foreach (var (user, device, platform) in new[] { (bob, iphone.DeviceId, "ios"), (carol, pixel.DeviceId, "android") })
        {
            foreach (var kind in new[] { "ring", "cancel" })
            {
                var outcome = await Server.OutcomeAsync(alice, id, user, device, kind);
                Assert.Equal(("sent", platform, 200, 1), (outcome.Str("status"), outcome.Str("platform"), outcome.GetProperty("statusCode").GetInt32(), outcome.GetProperty("attempts").GetInt32()));
                Assert.Equal(id, outcome.Str("invitationId"));
            }
        }

        Assert.Equal(4, (await Server.PushesAsync(alice, id)).Length);
    }

    [Fact]
    public async Task A_device_with_a_live_connection_is_not_pushed_but_the_users_offline_device_is()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        var phone = await Server.RegisterIosAsync(bob, "bob-phone");
        var tablet = await Server.RegisterAndroidAsync(bob, "bob-tablet");
        await using var socket = await NodeSocketClient.ConnectAsync(
            Server.Factory.Address, new SocketClientOptions { Package = "sio4", UserId = bob, DeviceId = phone.DeviceId });
        await socket.BarrierAsync();
        using var inviter = Server.As(alice);

        var id = (await inviter.SendInvitation(bob)).Str("invitationId");
        Assert.Equal(id, (await socket.NextEventAsync("incomingInvitationReceived")).Str("invitationId"));
        Assert.Equal("sent", (await Server.OutcomeAsync(alice, id, bob, tablet.DeviceId, "ring")).Str("status"));
        await (await inviter.Cancel(id)).Expect(HttpStatusCode.OK);
        await socket.NextEventAsync("incomingInvitationCancelled");
        Assert.Equal("sent", (await Server.OutcomeAsync(alice, id, bob, tablet.DeviceId, "cancel")).Str("status"));

        // The ring and the cancel are one job each, covering all of bob's devices: the phone was in neither.
        Assert.Empty(Apns.To(phone.VoipToken));
        Assert.Empty(Apns.To(phone.ApnsToken));
        Assert.DoesNotContain(await Server.PushesAsync(alice, id), p => p.Str("deviceId") == phone.DeviceId);
        Assert.Equal(["invitation.ring", "invitation.cancel"], Fcm.To(tablet.FcmToken).Select(r => r.Data["type"]));
    }

    [Fact]
    public async Task A_token_the_service_calls_dead_is_removed_from_the_device_store()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        var iphone = await Server.RegisterIosAsync(bob, "bob-iphone");
        var pixel = await Server.RegisterAndroidAsync(carol, "carol-pixel");
        Apns.Unregister(iphone.VoipToken);
        Fcm.Unregister(pixel.FcmToken);
        using var inviter = Server.As(alice);

        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");

        var apnsOutcome = await Server.OutcomeAsync(alice, id, bob, iphone.DeviceId, "ring");
        Assert.Equal("tokenRemoved", apnsOutcome.Str("status"));
        Assert.Equal("Unregistered", apnsOutcome.Str("reason"));
        Assert.Equal(410, apnsOutcome.GetProperty("statusCode").GetInt32());
        var fcmOutcome = await Server.OutcomeAsync(alice, id, carol, pixel.DeviceId, "ring");
        Assert.Equal("tokenRemoved", fcmOutcome.Str("status"));
        Assert.Equal("UNREGISTERED", fcmOutcome.Str("reason"));
        Assert.Equal(404, fcmOutcome.GetProperty("statusCode").GetInt32());

        // The dead token is gone; the device's other token stays.
        var bobsDevice = Assert.Single(await Server.DevicesAsync(bob));
        Assert.False(bobsDevice.TryGetProperty("voipToken", out var voip) && voip.ValueKind == JsonValueKind.String, bobsDevice.ToString());
        Assert.Equal(iphone.ApnsToken, bobsDevice.Str("apnsToken"));
        var carolsDevice = Assert.Single(await Server.DevicesAsync(carol));
        Assert.False(carolsDevice.TryGetProperty("fcmToken", out var fcm) && fcm.ValueKind == JsonValueKind.String, carolsDevice.ToString());

        // A ring that never arrived is not cancelled, and the next invitation does not try the dead tokens again.
        await (await inviter.Cancel(id)).Expect(HttpStatusCode.OK);
        var next = (await inviter.SendInvitation(bob, carol)).Str("invitationId");
        Assert.Equal("skipped", (await Server.OutcomeAsync(alice, next, bob, iphone.DeviceId, "ring")).Str("status"));
        Assert.Equal("skipped", (await Server.OutcomeAsync(alice, next, carol, pixel.DeviceId, "ring")).Str("status"));
        Assert.Single(Apns.To(iphone.VoipToken));
        Assert.Empty(Apns.To(iphone.ApnsToken));
        Assert.Single(Fcm.To(pixel.FcmToken));
    }

    [Fact]
    public async Task Answering_on_one_device_cancels_the_others_that_were_rung()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        var iphone = await Server.RegisterIosAsync(bob, "bob-iphone");
        var ipad = await Server.RegisterIosAsync(bob, "bob-ipad");
        var pixel = await Server.RegisterAndroidAsync(carol, "carol-pixel");
        using var inviter = Server.As(alice);
        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");
        await StandInWaits.Until(() => Apns.To(iphone.VoipToken).Count == 1 && Apns.To(ipad.VoipToken).Count == 1 && Fcm.To(pixel.FcmToken).Count == 1, "the rings");

        // Bob's iPhone, woken by its ring, accepts.
        using var invitee = Server.As(bob);
        await (await invitee.Accept(id, iphone.DeviceId)).Expect(HttpStatusCode.OK);

        Assert.Equal("sent", (await Server.OutcomeAsync(alice, id, bob, ipad.DeviceId, "cancel")).Str("status"));
        Assert.Equal("sent", (await Server.OutcomeAsync(alice, id, carol, pixel.DeviceId, "cancel")).Str("status"));
        var ipadCancel = Assert.Single(Apns.To(ipad.ApnsToken));
        Assert.Equal("background", ipadCancel.Header("apns-push-type"));
        Assert.Equal("5", ipadCancel.Header("apns-priority"));
        Assert.Equal("answeredElsewhere", ipadCancel.Json.Str("reason"));
        Assert.Equal(1, ipadCancel.Json.GetProperty("aps").GetProperty("content-available").GetInt32());
        Assert.Equal("cancelled", Fcm.To(pixel.FcmToken)[1].Data["reason"]);

        // The answering device gets no cancel; nobody gets a second VoIP push.
        Assert.DoesNotContain(await Server.PushesAsync(alice, id), p => p.Str("deviceId") == iphone.DeviceId && p.Str("kind") == "cancel");
        Assert.Empty(Apns.To(iphone.ApnsToken));
        Assert.Single(Apns.To(iphone.VoipToken));
        Assert.Single(Apns.To(ipad.VoipToken));
    }

    [Fact]
    public async Task A_device_told_to_retry_later_does_not_hold_up_the_rings_of_the_other_invitees()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        var iphone = await Server.RegisterIosAsync(bob, "bob-iphone");
        var pixel = await Server.RegisterAndroidAsync(carol, "carol-pixel");

        // Longer than every wait of the test (but within Push:RetryMaxDelay, so the dispatcher honours it).
        Apns.Script(iphone.VoipToken, new Reply(429, "TooManyRequests", RetryAfter: "25"));
        using var inviter = Server.As(alice);

        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");

        // Bob's ring waits for its retry; carol, the next invitee, is rung meanwhile. (The invitees are rung in
        // parallel: carol's ring may be out before bob's first attempt reaches the stand-in.)
        Assert.Equal("sent", (await Server.OutcomeAsync(alice, id, carol, pixel.DeviceId, "ring")).Str("status"));
        await TestTimeouts.WaitUntilAsync(() => Task.FromResult(Apns.To(iphone.VoipToken).Count > 0), "bob's first ring attempt at APNs");
        Assert.Equal(429, Assert.Single(Apns.To(iphone.VoipToken)).Status);

        // The cancel stops bob's pending retry: no ring reached him, so only carol gets a cancel.
        await (await inviter.Cancel(id)).Expect(HttpStatusCode.OK);
        var bobs = await Server.OutcomeAsync(alice, id, bob, iphone.DeviceId, "ring");
        Assert.Equal(("failed", "InvitationCancelled"), (bobs.Str("status"), bobs.Str("reason")));
        Assert.Equal("sent", (await Server.OutcomeAsync(alice, id, carol, pixel.DeviceId, "cancel")).Str("status"));
        Assert.Single(Apns.To(iphone.VoipToken));
        Assert.Empty(Apns.To(iphone.ApnsToken));
    }

    [Fact]
    public async Task A_ring_nobody_answers_is_cancelled_with_reason_timeout()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        var pixel = await Server.RegisterAndroidAsync(bob, "bob-pixel");
        var iphone = await Server.RegisterIosAsync(bob, "bob-iphone");
        using var inviter = Server.As(alice);

        var id = (await inviter.SendInvitation(new { invitees = new[] { bob }, timeout = 3 })).Str("invitationId");

        Assert.Equal("sent", (await Server.OutcomeAsync(alice, id, bob, pixel.DeviceId, "cancel")).Str("status"));
        Assert.Equal("sent", (await Server.OutcomeAsync(alice, id, bob, iphone.DeviceId, "cancel")).Str("status"));
        Assert.Equal(["invitation.ring", "invitation.cancel"], Fcm.To(pixel.FcmToken).Select(r => r.Data["type"]));
        Assert.Equal("timeout", Fcm.To(pixel.FcmToken)[1].Data["reason"]);
        Assert.Equal("timeout", Assert.Single(Apns.To(iphone.ApnsToken)).Json.Str("reason"));
        Assert.Single(Apns.To(iphone.VoipToken));
    }

    private static TimeSpan Ttl(string ttl)
    {
        Assert.Matches(new Regex(@"^\d+(\.\d{1,9})?s$"), ttl);
        return TimeSpan.FromSeconds(double.Parse(ttl[..^1], System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>A ring whose answer never came (a timeout) may have rung: it is cancelled like a ring that was accepted.</summary>
public sealed class AmbiguousRingTests
{
    [Fact]
    public async Task A_ring_that_timed_out_after_reaching_APNs_still_gets_its_cancel()
    {
        await using var standIns = await PushStandIns.StartAsync();
        var settings = standIns.Settings();
        settings["Push:Apns:RequestTimeout"] = "00:00:02";
        await using var factory = new PushServerFactory(settings);
        var server = new PushServer(standIns, factory);
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        var iphone = await server.RegisterIosAsync(bob, "bob-iphone");

        // APNs takes the push (and so the phone rings) but its answer never reaches the server in time.
        standIns.Apns.Script(iphone.VoipToken, new Reply(200, Delay: TimeSpan.FromMinutes(5)));
        using var inviter = server.As(alice);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");
        var ring = await server.OutcomeAsync(alice, id, bob, iphone.DeviceId, "ring");
        Assert.Equal(("failed", "Timeout"), (ring.Str("status"), ring.Str("reason")));
        Assert.Single(standIns.Apns.To(iphone.VoipToken));

        await (await inviter.Cancel(id)).Expect(HttpStatusCode.OK);

        Assert.Equal("sent", (await server.OutcomeAsync(alice, id, bob, iphone.DeviceId, "cancel")).Str("status"));
        var cancel = Assert.Single(standIns.Apns.To(iphone.ApnsToken));
        Assert.Equal("invitation.cancel", cancel.Json.Str("type"));
        Assert.Single(standIns.Apns.To(iphone.VoipToken));
    }
}

/// <summary>No push credentials: the platforms are off, nothing is sent, and invitations work as before.</summary>
public sealed class PushPlatformsOffTests
{
    [Fact]
    public async Task Without_credentials_nothing_is_pushed_and_invitations_still_work()
    {
        await using var standIns = await PushStandIns.StartAsync();
        await using var factory = new PushServerFactory(standIns.Settings(apns: false, fcm: false));
        var server = new PushServer(standIns, factory);
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        var iphone = await server.RegisterIosAsync(bob, "bob-iphone");
        var pixel = await server.RegisterAndroidAsync(carol, "carol-pixel");
        using var inviter = server.As(alice);

        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");

        var ios = await server.OutcomeAsync(alice, id, bob, iphone.DeviceId, "ring");
        Assert.Equal(("skipped", "ApnsDisabled"), (ios.Str("status"), ios.Str("reason")));
        var android = await server.OutcomeAsync(alice, id, carol, pixel.DeviceId, "ring");
        Assert.Equal(("skipped", "FcmDisabled"), (android.Str("status"), android.Str("reason")));
        using var invitee = server.As(bob);
        var accepted = await (await invitee.Accept(id, iphone.DeviceId)).Expect(HttpStatusCode.OK);
        Assert.Equal("accepted", accepted.Str("state"));
        Assert.Empty(standIns.Apns.Requests);
        Assert.Empty(standIns.Fcm.Requests);
        Assert.Empty(standIns.OAuth.Issued);
    }
}
