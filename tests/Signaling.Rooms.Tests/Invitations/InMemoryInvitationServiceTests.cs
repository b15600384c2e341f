using Microsoft.Extensions.Options;
using Signaling.Rooms.Invitations;

namespace Signaling.Rooms.Tests.Invitations;

public sealed class InMemoryInvitationServiceTests : InvitationServiceSpecification
{
    protected override IInvitationStore CreateStore(TimeProvider timeProvider, IOptionsMonitor<InvitationOptions> options) =>
        new InMemoryInvitationStore(timeProvider, options);
}
