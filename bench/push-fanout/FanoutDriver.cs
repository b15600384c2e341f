using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Signaling.TestKit.PushStandIns;

namespace Signaling.Bench.PushFanout;

/// <summary>The invitees of one run: users, each with iOS devices whose VoIP tokens the stand-in knows.</summary>
internal sealed record Population(IReadOnlyList<string> Users, IReadOnlyDictionary<string, int> UserOfToken)
{
    public int Devices => UserOfToken.Count;
}

/// <summary>One invitation sent: who sent it, when the POST started, its invitees.</summary>
internal sealed record SentInvitation(string Id, string Inviter, long PostedAt, int Devices);

/// <summary>What the stand-in saw for one run.</summary>
internal sealed record RunResult(
    IReadOnlyList<SentInvitation> Invitations,
    long StartedAt,
    long AllPostedAt,
    long FirstPushAt,
    long LastPushAt,
    int Accepted,
    int Refused,
    double[] SecondsFromPostToPush);

/// <summary>The ledger's view (GET /v1/invitations/{id} pushes) once every outcome is final.</summary>
internal sealed record OutcomeCounts(int Sent, int Other);

/// <summary>Registers devices and sends invitations over the server's REST API (Development: <c>X-User-Id</c>).</summary>
internal sealed class FanoutDriver(BenchSettings settings, Uri server, ApnsStandIn apns) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(10);

    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = settings.RestConcurrency })
    {
        BaseAddress = server,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>PUTs <paramref name="devices"/> iOS devices, <see cref="BenchSettings.DevicesPerUser"/> per user.</summary>
    public async Task<Population> RegisterAsync(string prefix, int devices)
    {
        var users = Enumerable.Range(0, devices / settings.DevicesPerUser).Select(i => $"{prefix}-{i:D5}").ToArray();
        var tokens = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, users.Length),
            new ParallelOptions { MaxDegreeOfParallelism = settings.RestConcurrency },
            async (user, cancellationToken) =>
            {
                for (var d = 0; d < settings.DevicesPerUser; d++)
                {
                    var voip = PushStandIns.NewApnsToken();
                    var regular = PushStandIns.NewApnsToken();
                    apns.RegisterToken(voip, PushStandIns.BundleId + ".voip");
                    apns.RegisterToken(regular, PushStandIns.BundleId);
                    tokens[voip] = user;
                    using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/users/{users[user]}/devices/phone-{d}")
                    {
                        Content = JsonContent.Create(new { platform = "ios", voipToken = voip, apnsToken = regular }),
                    };
                    request.Headers.Add("X-User-Id", users[user]);
                    using var response = await _http.SendAsync(request, cancellationToken);
                    await ExpectAsync(response, HttpStatusCode.OK, cancellationToken);
                }
            });
        return new Population(users, tokens);
    }

    /// <summary>
    /// Sends the invitations (<see cref="BenchSettings.InviteesPerInvitation"/> invitees each, one inviter each, all
    /// at once with <see cref="BenchSettings.RestConcurrency"/> in flight) and waits until the stand-in has answered a
    /// push for every device.
    /// </summary>
    public async Task<RunResult> RingAsync(string callerPrefix, Population population, int expectedBefore)
    {
        var groups = population.Users.Chunk(settings.InviteesPerInvitation).ToArray();
        var sent = new SentInvitation[groups.Length];
        var startedAt = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, groups.Length),
            new ParallelOptions { MaxDegreeOfParallelism = settings.RestConcurrency },
            async (i, cancellationToken) =>
            {
                var inviter = $"{callerPrefix}-{i:D5}";
                var postedAt = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/invitations")
                {
                    Content = JsonContent.Create(new
                    {
                        invitees = groups[i],
                        timeout = 600,
                        extendedData = "{\"room\":\"bench\"}",
                        pushConfig = new { title = inviter, content = "Incoming call" },
                    }),
                };
                request.Headers.Add("X-User-Id", inviter);
                using var response = await _http.SendAsync(request, cancellationToken);
                var body = await ExpectAsync(response, HttpStatusCode.Created, cancellationToken);
                sent[i] = new SentInvitation(body.GetProperty("invitationId").GetString()!, inviter, postedAt, groups[i].Length * settings.DevicesPerUser);
            });
        var allPostedAt = Stopwatch.GetTimestamp();

        var expected = expectedBefore + population.Devices;
        using var limit = new CancellationTokenSource(RunLimit);
        while (apns.AcceptedCount + apns.RefusedCount < expected)
        {
            await Task.Delay(5, limit.Token);
        }

        var records = apns.Requests.Where(r => population.UserOfToken.ContainsKey(r.DeviceToken)).ToArray();
        var postedAtOfUser = new long[population.Users.Count];
        for (var i = 0; i < groups.Length; i++)
        {
            for (var u = 0; u < groups[i].Length; u++)
            {
                postedAtOfUser[(i * settings.InviteesPerInvitation) + u] = sent[i].PostedAt;
            }
        }

        var latencies = records
            .Select(r => Stopwatch.GetElapsedTime(postedAtOfUser[population.UserOfToken[r.DeviceToken]], r.ReceivedAt).TotalSeconds)
            .Order()
            .ToArray();
        return new RunResult(
            sent,
            startedAt,
            allPostedAt,
            records.Min(r => r.ReceivedAt),
            records.Max(r => r.ReceivedAt),
            records.Count(r => r.Status == 200),
            records.Count(r => r.Status != 200),
            latencies);
    }

    /// <summary>Waits until every push of the run has a final outcome in the ledger, and counts them.</summary>
    public async Task<OutcomeCounts> CountOutcomesAsync(RunResult run)
    {
        using var limit = new CancellationTokenSource(RunLimit);
        int sent = 0, other = 0;
        foreach (var invitation in run.Invitations)
        {
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/invitations/{invitation.Id}");
                request.Headers.Add("X-User-Id", invitation.Inviter);
                using var response = await _http.SendAsync(request, limit.Token);
                var pushes = (await ExpectAsync(response, HttpStatusCode.OK, limit.Token)).GetProperty("pushes").EnumerateArray()
                    .Select(p => p.GetProperty("status").GetString())
                    .ToArray();
                if (pushes.Length == invitation.Devices && !pushes.Contains("pending"))
                {
                    sent += pushes.Count(s => s == "sent");
                    other += pushes.Count(s => s != "sent");
                    break;
                }

                await Task.Delay(20, limit.Token);
            }
        }

        return new OutcomeCounts(sent, other);
    }

    public void Dispose() => _http.Dispose();

    private static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != status)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
