using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Cluster;

/// <summary>
/// Redis is killed (SIGKILL) and started again on the same port from its fsync-always append-only file while
/// invitations are sent and accepted through both nodes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisRestartUnderLoadTests(DurableTwoNodeCluster cluster) : ClusterTests(cluster), IClassFixture<DurableTwoNodeCluster>
{
    // The nodes' multiplexers reconnect with back-off; the readiness check follows them.
    private static readonly TimeSpan RecoveryWithin = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Across_a_Redis_restart_under_load_requests_succeed_or_get_503_and_no_accepted_invitation_is_lost_or_applied_twice()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var attempts = new List<Attempt>();
        var (completed, unavailable) = (new Counter(), new Counter());
        using var stop = new CancellationTokenSource();
        var load = Task.Run(() => LoadAsync(run, attempts, completed, unavailable, stop.Token));

        await WhileLoadingAsync(load, () => completed.Value >= 3, "three invitations sent and accepted before the restart");
        var clock = Stopwatch.StartNew();
        Cluster.Redis.Kill();

        // Down: both nodes say so, and requests get 503 (the loop's and one send of ours, retried below with its key).
        await WaitUntilAsync(async () => await A.ReadinessAsync() == HttpStatusCode.ServiceUnavailable && await B.ReadinessAsync() == HttpStatusCode.ServiceUnavailable, TestTimeouts.Default, "both nodes to report not ready");
        var probe = new Attempt(-1, $"probe-inviter-{run}", $"probe-invitee-{run}", $"probe-{run}", A, B);
        using (var inviter = A.Client(probe.Inviter))
        {
            using var during = await inviter.PostJson("/v1/invitations", probe.Body, probe.Key);
            await ExpectUnavailable(during);
        }

        await WhileLoadingAsync(load, () => unavailable.Value >= 1, "a request of the loop to get 503");
        await Cluster.Redis.StartAsync(TestContext.Current.CancellationToken).WithTimeout();
        var down = clock.Elapsed;

        var ready = await WaitUntilAsync(async () => await A.ReadinessAsync() == HttpStatusCode.OK && await B.ReadinessAsync() == HttpStatusCode.OK, RecoveryWithin, "both nodes to report ready again");
        var before = completed.Value;
        await WhileLoadingAsync(load, () => completed.Value >= before + 4, "four invitations sent and accepted after the restart");
        await stop.CancelAsync();
        await load.WithTimeout();
        Log($"Redis down for {down.TotalSeconds:0.0} s; both nodes ready {ready.TotalSeconds:0.0} s after its restart; " +
            $"{attempts.Count} iterations, {completed.Value} sent and accepted in one go, {unavailable.Value} requests answered 503.");

        // Nothing lost, nothing applied twice.
        foreach (var attempt in attempts.Append(probe))
        {
            using var inviter = attempt.AcceptNode.Client(attempt.Inviter);
            if (attempt.InvitationId is null)
            {
                // The send got 503 and may or may not have been committed: a retry with the same key settles it.
                using var retry = await inviter.PostJson("/v1/invitations", attempt.Body, attempt.Key);
                Assert.True(retry.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"retry of send {attempt}: {(int)retry.StatusCode}");
                attempt.InvitationId = (await retry.Expect(retry.StatusCode)).Str("invitationId");
            }

            if (attempt.AcceptedVersion is null && attempt.Index >= 0)
            {
                using var invitee = attempt.SendNode.Client(attempt.Invitee);
                using var retry = await invitee.Accept(attempt.InvitationId);
                if (retry.StatusCode == HttpStatusCode.OK)
                {
                    attempt.AcceptedVersion = (await retry.Expect(HttpStatusCode.OK)).GetProperty("version").GetInt64();
                }
                else
                {
                    // The first accept was committed after all.
                    var problem = await retry.ExpectProblem(HttpStatusCode.Conflict, "already_answered");
                    Assert.Equal(attempt.Invitee, problem.GetProperty("answeredBy").Str("userId"));
                    attempt.AcceptedVersion = 2;
                }
            }

            foreach (var node in new[] { A, B })
            {
                using var client = node.Client(attempt.Inviter);
                var outgoing = await (await client.Get($"/v1/users/{attempt.Inviter}/invitations?role=outgoing")).Expect(HttpStatusCode.OK);
                var only = Assert.Single(outgoing.EnumerateArray());
                Assert.Equal(attempt.InvitationId, only.Str("invitationId"));

                var invitation = await (await client.Get($"/v1/invitations/{attempt.InvitationId}")).Expect(HttpStatusCode.OK);
                var (state, version) = attempt.Index >= 0 ? ("accepted", 2L) : ("ringing", 1L);
                Assert.True(
                    (state, version) == (invitation.Str("state"), invitation.GetProperty("version").GetInt64()),
                    $"{attempt} via {node.Name}: expected {state} v{version}, got {invitation}");
                if (attempt.Index >= 0)
                {
                    Assert.Equal(version, attempt.AcceptedVersion);
                    Assert.Equal("accepted", invitation.GetProperty("invitees")[0].Str("state"));
                }
            }
        }
    }

    private async Task LoadAsync(string run, List<Attempt> attempts, Counter completed, Counter unavailable, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var (sendNode, acceptNode) = i % 2 == 0 ? (A, B) : (B, A);
            var attempt = new Attempt(i, $"inviter{i}-{run}", $"invitee{i}-{run}", $"send-{i}-{run}", sendNode, acceptNode);
            lock (attempts)
            {
                attempts.Add(attempt);
            }

            using var inviter = sendNode.Client(attempt.Inviter);
            using var sent = await inviter.PostJson("/v1/invitations", attempt.Body, attempt.Key);
            if (sent.StatusCode != HttpStatusCode.Created)
            {
                await ExpectUnavailable(sent);
                unavailable.Increment();
                continue;
            }

            attempt.InvitationId = (await sent.Expect(HttpStatusCode.Created)).Str("invitationId");
            using var invitee = acceptNode.Client(attempt.Invitee);
            using var accepted = await invitee.Accept(attempt.InvitationId);
            if (accepted.StatusCode != HttpStatusCode.OK)
            {
                await ExpectUnavailable(accepted);
                unavailable.Increment();
                continue;
            }

            var body = await accepted.Expect(HttpStatusCode.OK);
            Assert.Equal("accepted", body.Str("state"));
            attempt.AcceptedVersion = body.GetProperty("version").GetInt64();
            completed.Increment();
        }
    }

    private static async Task ExpectUnavailable(HttpResponseMessage response)
    {
        var problem = await response.ExpectProblem(HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.True(response.Headers.RetryAfter is not null, $"503 without Retry-After: {problem}");
    }

    /// <summary>Waits for <paramref name="condition"/> while the load runs; a failure of the load is reported as such.</summary>
    private static Task WhileLoadingAsync(Task load, Func<bool> condition, string what) => WaitUntilAsync(
        async () =>
        {
            if (load.IsCompleted)
            {
                await load;
                throw new InvalidOperationException($"The load stopped before {what}.");
            }

            return condition();
        },
        TestTimeouts.Default,
        what);

    private sealed class Counter
    {
        private int _value;

        public int Value => Volatile.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }

    private sealed record Attempt(int Index, string Inviter, string Invitee, string Key, ServerNode SendNode, ServerNode AcceptNode)
    {
        public object Body => new { invitees = new[] { Invitee }, timeout = 600, roomId = "room-" + Key };

        public string? InvitationId { get; set; }

        public long? AcceptedVersion { get; set; }

        public override string ToString() => $"#{Index} {Inviter}→{Invitee} via {SendNode.Name} (key {Key}, id {InvitationId ?? "?"})";
    }
}
