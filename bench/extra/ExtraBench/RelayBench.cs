using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ExtraBench;

/// <summary>Figures of one relay run.</summary>
internal sealed record RelayResult(
    string Label,
    int Pairs,
    int Window,
    double WarmUpSeconds,
    long JitDuringMeasure,
    double MessagesPerSecond,
    CpuWindow RateCpu,
    double LatencyRate,
    double AchievedRate,
    int LatencySamples,
    long Missing,
    double[] LatencyMs,
    CpuWindow LatencyCpu,
    string LoadAverage);

/// <summary>
/// Pairs of anonymous Socket.IO (WebSocket) clients, each pair in its own room; with two nodes the first peer of every
/// pair is on node 1 and the second on node 2, so every message crosses nodes (Redis pub/sub). Messages are
/// candidate-shaped <c>exchange</c>s (about 250 bytes) carrying the send time.
/// Throughput: both peers send to each other, each keeping <c>window</c> messages in flight (sent and not yet received
/// by the peer: the window closes end to end, not at the sender's node). Latency: the first peer of each pair sends to
/// the second at a fixed total rate (open loop, one sender thread); one-way time measured at the receiver.
/// </summary>
internal static class RelayBench
{
    public static async Task<RelayResult> RunAsync(Settings settings, string label, bool redis, int nodes)
    {
        var pairs = settings.Pick(100, 20);
        var window = 16;
        var duration = TimeSpan.FromSeconds(settings.Pick(10.0, 3.0));
        var latencyRate = settings.Pick(2000.0, 1000.0);
        var latencyDuration = TimeSpan.FromSeconds(settings.Pick(10.0, 3.0));

        using var cluster = await Cluster.StartAsync(settings, label, redis, nodes);

        long received = 0, sent = 0;
        var windowOpen = false;
        long latencyFrom = long.MaxValue;
        var latency = new Recorder(1_000_000);

        void OnEvent(SioConnection connection, ReadOnlySpan<byte> array)
        {
            var now = Stopwatch.GetTimestamp();
            if (!array.StartsWith("[\"exchange\""u8))
            {
                return;
            }

            Interlocked.Increment(ref received);
            var sentAt = SioConnection.NumberAfter(array, "\"ts\":"u8);
            if (sentAt >= Volatile.Read(ref latencyFrom))
            {
                latency.Add(now - sentAt);
            }

            if (Volatile.Read(ref windowOpen))
            {
                // The peer's message arrived: the peer sends the next one (its window stays full).
                var peer = (Peer)connection.Tag!;
                Interlocked.Increment(ref sent);
                peer.Other.EmitWithNumber(peer.ToMeHead, Stopwatch.GetTimestamp(), "}]"u8);
            }
        }

        var first = await SioConnection.ConnectManyAsync(cluster.Endpoints[0], pairs, 50, _ => null, OnEvent);
        var second = await SioConnection.ConnectManyAsync(cluster.Endpoints[nodes - 1], pairs, 50, _ => null, OnEvent);
        try
        {
            for (var p = 0; p < pairs; p++)
            {
                var room = $"relay-{p}";
                var ackA = await first[p].EmitWithAckAsync($"[\"join\",\"{room}\"]").WaitAsync(TimeSpan.FromSeconds(10));
                var ackB = await second[p].EmitWithAckAsync($"[\"join\",\"{room}\"]").WaitAsync(TimeSpan.FromSeconds(10));
                if (!ackB.Contains(first[p].Sid, StringComparison.Ordinal) || ackA.Contains("error", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"join of pair {p} failed: {ackA} / {ackB}");
                }

                first[p].Tag = new Peer(second[p], Head(first[p].Sid));  // second[p] sends to first[p]
                second[p].Tag = new Peer(first[p], Head(second[p].Sid)); // first[p] sends to second[p]
            }

            // Throughput with a full window both ways; warm-up until the nodes' JIT is quiet.
            Volatile.Write(ref windowOpen, true);
            for (var p = 0; p < pairs; p++)
            {
                for (var w = 0; w < window; w++)
                {
                    Interlocked.Add(ref sent, 2);
                    first[p].EmitWithNumber(((Peer)second[p].Tag!).ToMeHead, Stopwatch.GetTimestamp(), "}]"u8);
                    second[p].EmitWithNumber(((Peer)first[p].Tag!).ToMeHead, Stopwatch.GetTimestamp(), "}]"u8);
                }
            }

            var warmUp = await Jit.UntilQuietAsync(cluster.Nodes, TimeSpan.FromSeconds(settings.Pick(15.0, 2.0)), TimeSpan.FromSeconds(settings.Pick(30.0, 6.0)));
            var jit0 = await Jit.CompiledMethodsAsync(cluster.Nodes);
            var received0 = Interlocked.Read(ref received);
            var rateCpu = new CpuWindow(cluster.Processes);
            await Task.Delay(duration);
            rateCpu.Stop();
            var jitDuring = await Jit.CompiledMethodsAsync(cluster.Nodes) - jit0;
            var perSecond = (Interlocked.Read(ref received) - received0) / rateCpu.Seconds;
            Volatile.Write(ref windowOpen, false);
            await DrainAsync(() => Interlocked.Read(ref received) >= Interlocked.Read(ref sent), TimeSpan.FromSeconds(10));
            var lost = Interlocked.Read(ref sent) - Interlocked.Read(ref received);
            if (lost > 0)
            {
                throw new InvalidOperationException($"{lost} exchanges never arrived");
            }

            cluster.CheckAlive();

            // Latency at a fixed rate, one way (first → second: across nodes with two).
            var before = Interlocked.Read(ref received);
            Volatile.Write(ref latencyFrom, Stopwatch.GetTimestamp());
            var latencyCpu = new CpuWindow(cluster.Processes);
            long next = 0;
            var fired = await InvitationBench.OpenLoopAsync(latencyRate, latencyDuration, () =>
            {
                var p = (int)(next++ % pairs);
                first[p].EmitWithNumber(((Peer)second[p].Tag!).ToMeHead, Stopwatch.GetTimestamp(), "}]"u8);
            });
            latencyCpu.Stop();
            await DrainAsync(() => Interlocked.Read(ref received) - before >= fired, TimeSpan.FromSeconds(10));
            var missing = fired - (Interlocked.Read(ref received) - before);
            cluster.CheckAlive();

            return new RelayResult(label, pairs, window, warmUp, jitDuring, perSecond, rateCpu, latencyRate, fired / latencyCpu.Seconds, latency.Count, missing,
                latency.Milliseconds(50, 99, 99.9, 100), latencyCpu, Proc.LoadAverage());
        }
        finally
        {
            foreach (var connection in first.Concat(second))
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>The exchange to <paramref name="to"/> up to the send time: <c>["exchange",{"to":…,"type":"candidate","candidate":{…},"ts":</c>.</summary>
    private static byte[] Head(string to)
        => Encoding.UTF8.GetBytes(
            "[\"exchange\",{\"to\":\"" + to + "\",\"type\":\"candidate\",\"candidate\":{\"candidate\":" +
            "\"candidate:3120484719 1 udp 2113937151 198.51.100.23 61422 typ host generation 0 ufrag Qm3v network-id 1 network-cost 10\"," +
            "\"sdpMid\":\"audio\",\"sdpMLineIndex\":0},\"ts\":");

    private static async Task DrainAsync(Func<bool> done, TimeSpan max)
    {
        var watch = Stopwatch.StartNew();
        while (!done() && watch.Elapsed < max)
        {
            await Task.Delay(20);
        }
    }

    public static string Format(RelayResult r)
        => string.Create(CultureInfo.InvariantCulture,
            $"{r.Label}: {r.MessagesPerSecond:0} msg/s ({r.Pairs} pairs, window {r.Window} each way); warm-up {r.WarmUpSeconds:0} s, then {r.JitDuringMeasure} methods JIT-compiled while measuring\n" +
            $"    CPU at max rate: {r.RateCpu.Describe()}\n" +
            $"    at {r.LatencyRate:0} msg/s (achieved {r.AchievedRate:0}/s, {r.LatencySamples} samples, {r.Missing} missing): p50 {r.LatencyMs[0]:0.000} ms, p99 {r.LatencyMs[1]:0.000} ms, p99.9 {r.LatencyMs[2]:0.00} ms, max {r.LatencyMs[3]:0.0} ms\n" +
            $"    CPU at fixed rate: {r.LatencyCpu.Describe()}; load average {r.LoadAverage}");

    /// <summary>A connection's peer and the head of the peer's messages to this connection.</summary>
    private sealed record Peer(SioConnection Other, byte[] ToMeHead);
}
