using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;
using Signaling.Rooms.Redis;
using Signaling.Rooms.Tests.Invitations;
using Signaling.TestKit;

namespace Signaling.Rooms.Tests.Redis;

/// <summary>The invitation specification on a real Redis, each test under its own key prefix.</summary>
public sealed class RedisInvitationServiceTests(RedisServerFixture redis) : InvitationServiceSpecification
{
    private readonly string _prefix = RedisTestConnections.NewPrefix();

    protected override IInvitationStore CreateStore(TimeProvider timeProvider, IOptionsMonitor<InvitationOptions> options) =>
        new RedisInvitationStore(
            RedisTestConnections.SharedFor(redis), timeProvider, options, Microsoft.Extensions.Options.Options.Create(new RoomsRedisOptions { KeyPrefix = _prefix }));
}
