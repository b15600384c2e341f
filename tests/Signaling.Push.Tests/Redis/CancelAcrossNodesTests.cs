using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Signaling.Push.Redis;
using Signaling.Push.Tests.Infrastructure;
using Signaling.TestKit.PushStandIns;
using StackExchange.Redis;

namespace Signaling.Push.Tests.Redis;

/// <summary>Two dispatchers ("nodes") sharing the Redis ledger, against the APNs and FCM stand-ins.</summary>
[Collection(PushRedisCollection.Name)]
public sealed class CancelAcrossNodesTests(PushRedisFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<IHost> StartNodeAsync(PushHarness push, string prefix, IConnectionMultiplexer connection)
    {
        var configuration = new Dictionary<string, string?>(push.Configuration) { ["Redis:KeyPrefix"] = prefix };
        var host = PushHarness.BuildHost(configuration, push.Time, push.Logs, services =>
        {
            services.AddSingleton(connection);
            services.AddPush().UsePushRedis();
        });
        await host.StartAsync(Ct).Bounded();
        return host;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_cancel_on_one_node_while_the_other_is_still_sending_the_ring_reaches_the_device_once(bool ios)
    {
        await using var push = await PushHarness.StartAsync();
        await using var secondConnection = await redis.ConnectAsync();
        var prefix = PushRedisFixture.NewPrefix();
        using var nodeA = await StartNodeAsync(push, prefix, redis.Connection);
        using var nodeB = await StartNodeAsync(push, prefix, secondConnection);
        var device = ios ? await push.AddIosDeviceAsync("bob", "phone") : await push.AddAndroidDeviceAsync("bob", "phone");

        // The push service takes its time answering the ring: node B's cancel runs while it is on its way.
        var ringToken = ios ? device.VoipToken! : device.FcmToken!;
        var reply = new Reply(200, Delay: TimeSpan.FromSeconds(2));
        if (ios)
        {
            push.Apns.Script(ringToken, reply);
        }
        else
        {
            push.Fcm.Script(ringToken, reply);
        }

        var ringing = nodeA.Services.GetRequiredService<IPushDispatcher>().RingAsync(push.Ring("inv-x", [device]), Ct);
        while ((ios ? push.Apns.To(ringToken).Count : push.Fcm.To(ringToken).Count) == 0)
        {
            Assert.False(ringing.IsCompleted, "the ring finished before the push service saw it");
            await Task.Delay(5, Ct);
        }

        var cancelledOnB = await nodeB.Services.GetRequiredService<IPushDispatcher>()
            .CancelAsync(PushHarness.Cancel("inv-x", [device], CancelReason.Cancelled, new PushConfig("Missed call")), Ct).Bounded();
        Assert.Empty(cancelledOnB);

        var rung = Assert.Single(await ringing.Bounded());
        Assert.Equal(PushStatus.Sent, rung.Status);

        var outcomes = await nodeB.Services.GetRequiredService<IPushLedger>().GetOutcomesAsync("inv-x", Ct).Bounded();
        Assert.Equal([(PushKind.Ring, PushStatus.Sent), (PushKind.Cancel, PushStatus.Sent)], outcomes.Select(o => (o.Kind, o.Status)));
        if (ios)
        {
            var cancel = Assert.Single(push.Apns.To(device.ApnsToken!));
            Assert.Equal("alert", cancel.Header("apns-push-type"));
            Assert.Equal("inv-x", cancel.Json.GetProperty("invitationId").GetString());
        }
        else
        {
            var all = push.Fcm.To(ringToken);
            Assert.Equal(["invitation.ring", "invitation.cancel"], all.Select(r => r.Data["type"]));
        }
    }
}
