using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Redis;
using Signaling.Rooms.Relay;
using Signaling.Rooms.Tests.TestSupport;
using Signaling.TestKit;
using StackExchange.Redis;

namespace Signaling.Rooms.Tests.Redis;

/// <summary>Redis is killed and started again (same port, fsync-always append-only file) while operations run.</summary>
public sealed class RedisRestartTests
{
    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Across_a_Redis_restart_no_committed_invitation_is_lost_or_applied_twice_and_nodes_reconnect()
    {
        await using var server = RedisServerFixture.Durable();
        await server.InitializeAsync();
        var prefix = RedisTestConnections.NewPrefix();
        await using var a = await TestNode.StartAsync(server, prefix, "node-a");
        await using var b = await TestNode.StartAsync(server, prefix, "node-b");
        var bob = await b.ConnectAsync("bob");
        Assert.True(await a.Bus.SendAsync("bob", new RelayMessage("exchange", "{}"u8.ToArray())).WithTimeout());

        await using var multiplexer = await RedisTestConnections.ConnectAsync(server).WithTimeout();
        var options = new TestOptionsMonitor<InvitationOptions>(new InvitationOptions());
        var events = new RecordingEventSink(TimeProvider.System);
        var store = new RedisInvitationStore(multiplexer, TimeProvider.System, options, Options.Create(new RoomsRedisOptions { KeyPrefix = prefix }));
        var service = new InvitationService(store, events, options, NullLogger<InvitationService>.Instance);

        const int Count = 30;
        var ids = new string[Count];
        var done = 0;
        var restart = Task.Run(async () =>
        {
            await TestTimeouts.WaitUntilAsync(() => Volatile.Read(ref done) >= Count / 3, "a third of the invitations");
            await server.RestartAsync(TestContext.Current.CancellationToken);
        });

        var failures = 0;
        for (var i = 0; i < Count; i++)
        {
            // A send retried with its idempotency key, and an accept retried until it is known to be committed.
            var request = new SendInvitationRequest { Inviter = "alice", Invitees = [$"bob{i}"], Timeout = 600, IdempotencyKey = $"key-{i}" };
            var sent = await RetryAsync(() => service.SendAsync(request), () => failures++);
            Assert.True(sent.IsSuccess, sent.ToString());
            ids[i] = sent.Value.InvitationId;

            var invitee = $"bob{i}";
            var accepted = await RetryAsync(() => service.AcceptAsync(ids[i], invitee), () => failures++);
            Assert.True(accepted.IsSuccess || (accepted.Error.Code == InvitationErrorCodes.AlreadyAnswered && accepted.Error.AnsweredUserId == invitee), accepted.ToString());
            Interlocked.Increment(ref done);
        }

        await restart.WithTimeout();
        Assert.True(failures > 0, "The restart should have interrupted some operations.");

        // Every committed invitation is there once, accepted once (version 2), with at most one of each event.
        var listed = await RetryAsync(() => service.ListForUserAsync("alice", InvitationRole.Outgoing), () => { });
        Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Select(i => i.InvitationId).Order(StringComparer.Ordinal));
        Assert.All(listed, i => Assert.Equal((InvitationState.Accepted, 2L), (i.State, i.Version)));
        foreach (var id in ids)
        {
            Assert.True(events.Named(InvitationEventNames.IncomingInvitationReceived, id).Count <= 1);
            Assert.True(events.Named(InvitationEventNames.OutgoingInvitationAccepted, id).Count <= 1);
        }

        // Both nodes' connections came back and re-subscribed: cross-node delivery works again.
        await WaitForAsync(async () => await a.Bus.SendAsync("bob", new RelayMessage("exchange", Encoding.UTF8.GetBytes("{\"after\":true}"))), "a send to bob after the restart");
        await bob.WaitForAsync(m => m.Any(x => x.Argument.Span.SequenceEqual("{\"after\":true}"u8)), "the message after the restart");
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> operation, Action onFailure)
    {
        var deadline = DateTime.UtcNow + RetryFor;
        while (true)
        {
            try
            {
                return await operation().WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken);
            }
            catch (Exception ex) when (IsTransient(ex) && DateTime.UtcNow < deadline)
            {
                onFailure();
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }
    }

    private static bool IsTransient(Exception ex) =>
        ex is RedisConnectionException or RedisTimeoutException
        || (ex is RedisServerException server && server.Message.StartsWith("LOADING", StringComparison.Ordinal));

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + RetryFor;
        while (true)
        {
            try
            {
                if (await condition().WaitAsync(TestTimeouts.Default, TestContext.Current.CancellationToken))
                {
                    return;
                }
            }
            catch (Exception ex) when (IsTransient(ex))
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
