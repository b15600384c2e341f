using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Signaling.Push.Tests.Infrastructure;

namespace Signaling.Push.Tests.Dispatch;

/// <summary>Metrics, ambiguous failures and the dispatcher's lifetime.</summary>
public sealed class DispatcherBehaviourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Outcomes_are_counted_on_the_Signaling_Push_meter()
    {
        await using var push = await PushHarness.StartAsync();
        var factory = push.Services.GetRequiredService<IMeterFactory>();
        var counted = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PushDiagnostics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (counted)
            {
                counted.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();
        var iphone = await push.AddIosDeviceAsync("bob", "iphone");
        var pixel = await push.AddAndroidDeviceAsync("bob", "pixel", registerToken: false);

        await push.Dispatcher.RingAsync(push.Ring("inv-1", [iphone, pixel]), Ct).Bounded();

        lock (counted)
        {
            var outcomes = counted.Where(c => c.Instrument == PushDiagnostics.OutcomesCounter).ToList();
            Assert.Equal(2, outcomes.Sum(o => o.Value));
            Assert.Contains(outcomes, o => (string?)o.Tags["platform"] == "ios" && (string?)o.Tags["status"] == "sent" && (string?)o.Tags["kind"] == "ring");
            Assert.Contains(outcomes, o => (string?)o.Tags["platform"] == "android" && (string?)o.Tags["status"] == "tokenRemoved");
            Assert.Equal(2, counted.Where(c => c.Instrument == PushDiagnostics.RequestsCounter).Sum(c => c.Value));
        }
    }

    [Fact]
    public async Task A_ring_that_timed_out_is_not_sent_again_but_a_cancel_is()
    {
        await using var push = await PushHarness.StartAsync(o => o.Settings["Push:Apns:RequestTimeout"] = "00:00:01");
        var iphone = await push.AddIosDeviceAsync("bob", "iphone");
        push.Apns.Script(iphone.VoipToken!, new Reply(200, Delay: TimeSpan.FromSeconds(5)));

        var ring = Assert.Single(await push.Dispatcher.RingAsync(push.Ring("inv-1", [iphone]), Ct).Bounded());

        Assert.Equal((PushStatus.Failed, "Timeout", 1), (ring.Status, ring.Reason, ring.Attempts));
        await Timeouts.Until(() => push.Apns.Requests.Count == 1, "the stand-in finished the slow request");
        Assert.Single(push.Apns.Requests);

        // The cancel path may repeat itself: a duplicate cancel is harmless.
        push.Apns.Script(iphone.ApnsToken!, new Reply(200, Delay: TimeSpan.FromSeconds(5)));
        await push.Ledger.RecordAsync(ring with { Status = PushStatus.Sent }, Ct).Bounded();
        var cancel = Assert.Single(await push.Dispatcher.CancelAsync(PushHarness.Cancel("inv-1", [iphone]), Ct).Bounded());
        Assert.Equal((PushStatus.Sent, 2), (cancel.Status, cancel.Attempts));
    }

    [Fact]
    public async Task After_stop_nothing_is_queued()
    {
        await using var push = await PushHarness.StartAsync();
        var pixel = await push.AddAndroidDeviceAsync("bob", "pixel");
        await push.Host.StopAsync(Ct).Bounded();

        Assert.False(push.Dispatcher.QueueRing(push.Ring("inv-1", [pixel])));
        await Assert.ThrowsAsync<InvalidOperationException>(() => push.Dispatcher.RingAsync(push.Ring("inv-2", [pixel]), Ct)).Bounded();
        Assert.Empty(push.Fcm.Requests);
    }

    [Fact]
    public async Task A_ring_queued_before_start_is_sent_once_the_host_starts()
    {
        await using var push = await PushHarness.StartAsync();
        var pixel = await push.AddAndroidDeviceAsync("bob", "pixel");
        using var host = PushHarness.BuildHost(push.Configuration, push.Time);
        var dispatcher = host.Services.GetRequiredService<IPushDispatcher>();

        var ring = dispatcher.RingAsync(push.Ring("inv-1", [pixel]), Ct);
        await host.StartAsync(Ct).Bounded();

        Assert.Equal(PushStatus.Sent, Assert.Single(await ring.Bounded()).Status);
        await host.StopAsync(Ct).Bounded();
    }
}
