using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;

namespace ExtraBench;

/// <summary>Figures of one invitation run.</summary>
internal sealed record InvitationResult(
    string Label,
    int Callees,
    int Concurrency,
    double WarmUpSeconds,
    long JitDuringMeasure,
    double SendsPerSecond,
    double RefusesPerSecond,
    long Non201,
    long RefuseErrors,
    CpuWindow RateCpu,
    double LatencyRate,
    double AchievedRate,
    int LatencySamples,
    long Missing,
    double[] EventMs,
    double[] ResponseMs,
    CpuWindow LatencyCpu,
    string LoadAverage);

/// <summary>
/// REST send → <c>incomingInvitationReceived</c> on the callee's socket. Callees are connected over Socket.IO
/// (WebSocket) as distinct users; caller k invites callee k (k = 0…N−1, round robin). Every callee refuses each
/// invitation as soon as its event arrives (REST refuse with its device id, from a second pool of HTTP connections),
/// so no pending list grows: a send is a whole ring–decline cycle for the server (two REST calls, one socket event).
/// </summary>
internal static class InvitationBench
{
    private const string DeviceId = "bench";

    public static async Task<InvitationResult> RunAsync(Settings settings, string label, bool redis)
    {
        var callees = settings.Pick(1000, 100);
        var concurrency = settings.Pick(32, 16);
        var latencyRate = settings.Pick(200.0, 100.0);
        var duration = TimeSpan.FromSeconds(settings.Pick(10.0, 3.0));
        var latencyDuration = TimeSpan.FromSeconds(settings.Pick(10.0, 3.0));

        using var cluster = await Cluster.StartAsync(settings, label, redis, nodes: 1);
        var node = cluster.Nodes[0];

        var refusals = Channel.CreateUnbounded<(string Id, int Callee)>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
        long events = 0;
        long latencyFrom = long.MaxValue; // Stopwatch timestamp: events of invitations sent after it are recorded
        var eventLatency = new Recorder(1_000_000);
        var responseLatency = new Recorder(1_000_000);

        void OnEvent(SioConnection connection, ReadOnlySpan<byte> array)
        {
            var now = Stopwatch.GetTimestamp();
            if (!array.StartsWith("[\"incomingInvitationReceived\""u8))
            {
                return;
            }

            Interlocked.Increment(ref events);
            var sentAt = SioConnection.NumberAfter(array, "\"extendedData\":\""u8);
            if (sentAt >= Volatile.Read(ref latencyFrom))
            {
                eventLatency.Add(now - sentAt);
            }

            if (SioConnection.StringAfter(array, "\"invitationId\":\""u8) is { } id)
            {
                refusals.Writer.TryWrite((id, connection.Index));
            }
        }

        var sockets = await SioConnection.ConnectManyAsync(cluster.Endpoints[0], callees, 50,
            i => $"{{\"userId\":\"callee-{i}\",\"deviceId\":\"{DeviceId}\"}}", OnEvent);
        try
        {
            await Task.Delay(500); // presence is registered right after CONNECT

            using var senders = NewClient(node, concurrency);
            using var refusers = NewClient(node, concurrency);
            long created = 0, non201 = 0, refused = 0, refuseErrors = 0, sequence = -1;
            using var stopAll = new CancellationTokenSource();

            var refuseWorkers = Enumerable.Range(0, concurrency).Select(async _ =>
            {
                try
                {
                    await foreach (var (id, callee) in refusals.Reader.ReadAllAsync(stopAll.Token))
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/invitations/{id}/refuse")
                        {
                            Content = Json($"{{\"deviceId\":\"{DeviceId}\",\"reason\":\"decline\"}}"),
                        };
                        request.Headers.Add("X-User-Id", $"callee-{callee}");
                        using var response = await refusers.SendAsync(request, stopAll.Token);
                        Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref refused : ref refuseErrors);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }).ToArray();

            async Task<HttpStatusCode> SendOneAsync(CancellationToken cancellationToken)
            {
                var k = (int)(Interlocked.Increment(ref sequence) % callees);
                var start = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/invitations")
                {
                    Content = Json($"{{\"invitees\":[\"callee-{k}\"],\"timeout\":60,\"extendedData\":\"{start}\"}}"),
                };
                request.Headers.Add("X-User-Id", $"caller-{k}");
                using var response = await senders.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    Interlocked.Increment(ref created);
                    if (start >= Volatile.Read(ref latencyFrom))
                    {
                        responseLatency.Add(Stopwatch.GetTimestamp() - start);
                    }
                }
                else
                {
                    Interlocked.Increment(ref non201);
                }

                return response.StatusCode;
            }

            // Max rate: `concurrency` senders back to back; warm-up until the server's JIT is quiet, then measured.
            // Stopped by a flag, not a token: the last requests complete and their keep-alive connections stay pooled.
            var stopSenders = false;
            var sendWorkers = Enumerable.Range(0, concurrency).Select(async _ =>
            {
                while (!Volatile.Read(ref stopSenders))
                {
                    await SendOneAsync(CancellationToken.None);
                }
            }).ToArray();

            var warmUp = await Jit.UntilQuietAsync(cluster.Nodes, TimeSpan.FromSeconds(settings.Pick(15.0, 2.0)), TimeSpan.FromSeconds(settings.Pick(30.0, 6.0)));
            var jit0 = await Jit.CompiledMethodsAsync(cluster.Nodes);
            var (created0, refused0) = (Interlocked.Read(ref created), Interlocked.Read(ref refused));
            var non2010 = Interlocked.Read(ref non201);
            var rateCpu = new CpuWindow(cluster.Processes);
            await Task.Delay(duration);
            rateCpu.Stop();
            var jitDuring = await Jit.CompiledMethodsAsync(cluster.Nodes) - jit0;
            var sendsPerSecond = (Interlocked.Read(ref created) - created0) / rateCpu.Seconds;
            var refusesPerSecond = (Interlocked.Read(ref refused) - refused0) / rateCpu.Seconds;
            var non201Measured = Interlocked.Read(ref non201) - non2010;
            Volatile.Write(ref stopSenders, true);
            await Task.WhenAll(sendWorkers);
            await DrainAsync(() => Interlocked.Read(ref created) == Interlocked.Read(ref refused) + Interlocked.Read(ref refuseErrors), TimeSpan.FromSeconds(15));
            cluster.CheckAlive();

            // Latency: open loop at a fixed rate (a sender thread fires each send at its time, not waiting for answers).
            var eventsBefore = Interlocked.Read(ref events);
            var createdBefore = Interlocked.Read(ref created);
            Volatile.Write(ref latencyFrom, Stopwatch.GetTimestamp());
            var latencyCpu = new CpuWindow(cluster.Processes);
            var inFlight = new List<Task<HttpStatusCode>>();
            var fired = await OpenLoopAsync(latencyRate, latencyDuration, () =>
            {
                var task = SendOneAsync(CancellationToken.None);
                lock (inFlight)
                {
                    inFlight.Add(task);
                }
            });
            latencyCpu.Stop();
            Task<HttpStatusCode>[] all;
            lock (inFlight)
            {
                all = [.. inFlight];
            }

            await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(30));
            var createdInLatency = Interlocked.Read(ref created) - createdBefore;
            await DrainAsync(() => Interlocked.Read(ref events) - eventsBefore >= createdInLatency, TimeSpan.FromSeconds(10));
            var missing = createdInLatency - (Interlocked.Read(ref events) - eventsBefore);
            await DrainAsync(() => Interlocked.Read(ref created) == Interlocked.Read(ref refused) + Interlocked.Read(ref refuseErrors), TimeSpan.FromSeconds(10));
            cluster.CheckAlive();
            await stopAll.CancelAsync();
            await Task.WhenAll(refuseWorkers);

            return new InvitationResult(label, callees, concurrency, warmUp, jitDuring, sendsPerSecond, refusesPerSecond, non201Measured, Interlocked.Read(ref refuseErrors),
                rateCpu, latencyRate, fired / latencyCpu.Seconds, eventLatency.Count, missing,
                eventLatency.Milliseconds(50, 99, 100), responseLatency.Milliseconds(50, 99, 100), latencyCpu, Proc.LoadAverage());
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="fire"/> <paramref name="rate"/> times a second, evenly, for <paramref name="duration"/>, from a
    /// dedicated thread; returns how many. Awaited, not joined: the load generator has one core, hence one thread-pool
    /// worker at first, and a blocked worker is replaced only after about half a second.
    /// </summary>
    public static Task<long> OpenLoopAsync(double rate, TimeSpan duration, Action fire)
    {
        long fired = 0;
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < duration)
            {
                var due = (long)(watch.Elapsed.TotalSeconds * rate);
                while (fired < due)
                {
                    fire();
                    fired++;
                }

                Thread.Sleep(1);
            }

            done.SetResult(fired);
        })
        { IsBackground = true, Name = "open loop" };
        thread.Start();
        return done.Task;
    }

    private static async Task DrainAsync(Func<bool> done, TimeSpan max)
    {
        var watch = Stopwatch.StartNew();
        while (!done() && watch.Elapsed < max)
        {
            await Task.Delay(20);
        }
    }

    private static HttpClient NewClient(Uri node, int connections)
        => new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            BaseAddress = node,
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

    private static ByteArrayContent Json(string json)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    public static string Format(InvitationResult r)
        => string.Create(CultureInfo.InvariantCulture,
            $"{r.Label}: {r.SendsPerSecond:0} sends/s (201) with {r.Concurrency} in flight, refuses {r.RefusesPerSecond:0}/s, non-201 {r.Non201}, refuse errors {r.RefuseErrors}; warm-up {r.WarmUpSeconds:0} s, then {r.JitDuringMeasure} methods JIT-compiled while measuring\n" +
            $"    CPU at max rate: {r.RateCpu.Describe()}\n" +
            $"    at {r.LatencyRate:0}/s (achieved {r.AchievedRate:0}/s, {r.LatencySamples} samples, {r.Missing} events missing): POST→event p50 {r.EventMs[0]:0.00} ms, p99 {r.EventMs[1]:0.00} ms, max {r.EventMs[2]:0.0} ms; POST→201 p50 {r.ResponseMs[0]:0.00} ms, p99 {r.ResponseMs[1]:0.00} ms\n" +
            $"    CPU at fixed rate: {r.LatencyCpu.Describe()}; load average {r.LoadAverage}");
}
