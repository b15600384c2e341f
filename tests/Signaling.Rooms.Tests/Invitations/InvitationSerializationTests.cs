using System.Text.Json;
using System.Text.Json.Nodes;
using Signaling.Rooms.Invitations;

namespace Signaling.Rooms.Tests.Invitations;

public sealed class InvitationSerializationTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static Invitation Sample() => new()
    {
        InvitationId = "abc",
        Inviter = "alice",
        Invitees =
        [
            new InviteeEntry { UserId = "bob", State = InviteeState.Accepted, AnsweredBy = "phone", ExtendedData = "sdp", UpdateTime = T0 },
            new InviteeEntry { UserId = "carol", State = InviteeState.Cancelled, Reason = InvitationCancelReasons.AnsweredByOther, UpdateTime = T0 },
        ],
        Timeout = 90,
        ExtendedData = "{}",
        RoomId = "room",
        PushConfig = new InvitationPushConfig("t", "c", "p"),
        CreateTime = T0,
        Deadline = T0.AddSeconds(90),
        State = InvitationState.Accepted,
        Version = 2,
        EndTime = T0,
        BusyUntil = T0.AddHours(2),
    };

    [Fact]
    public void Invitations_serialise_with_lowercase_states_and_round_trip()
    {
        var json = JsonSerializer.Serialize(Sample(), Web);
        var node = JsonNode.Parse(json)!;

        Assert.Equal("accepted", (string?)node["state"]);
        Assert.Equal("accepted", (string?)node["invitees"]![0]!["state"]);
        Assert.Equal("phone", (string?)node["invitees"]![0]!["answeredBy"]);
        Assert.Equal("cancelled", (string?)node["invitees"]![1]!["state"]);
        Assert.Equal("answeredByOther", (string?)node["invitees"]![1]!["reason"]);
        Assert.Equal(90, (int)node["timeout"]!);
        Assert.Equal("t", (string?)node["pushConfig"]!["title"]);
        Assert.Null(node["acceptedInvitee"]);

        Assert.Equal(Sample(), JsonSerializer.Deserialize<Invitation>(json, Web));
    }

    [Theory]
    [InlineData(InvitationState.Ringing, "ringing")]
    [InlineData(InvitationState.Accepted, "accepted")]
    [InlineData(InvitationState.Rejected, "rejected")]
    [InlineData(InvitationState.Cancelled, "cancelled")]
    [InlineData(InvitationState.Timeout, "timeout")]
    public void Invitation_states_have_lowercase_wire_names(InvitationState state, string wire)
    {
        Assert.Equal($"\"{wire}\"", JsonSerializer.Serialize(state));
        Assert.Equal(wire, state.ToWireString());
        Assert.Equal(state, JsonSerializer.Deserialize<InvitationState>($"\"{wire}\""));
    }

    [Theory]
    [InlineData(InviteeState.Inviting, "inviting")]
    [InlineData(InviteeState.Received, "received")]
    [InlineData(InviteeState.Accepted, "accepted")]
    [InlineData(InviteeState.Rejected, "rejected")]
    [InlineData(InviteeState.Cancelled, "cancelled")]
    [InlineData(InviteeState.Timeout, "timeout")]
    public void Invitee_states_have_lowercase_wire_names(InviteeState state, string wire)
    {
        Assert.Equal($"\"{wire}\"", JsonSerializer.Serialize(state));
        Assert.Equal(wire, state.ToWireString());
    }

    [Fact]
    public void Roles_and_filters_have_lowercase_wire_names()
    {
        Assert.Equal("\"incoming\"", JsonSerializer.Serialize(InvitationRole.Incoming));
        Assert.Equal("\"outgoing\"", JsonSerializer.Serialize(InvitationRole.Outgoing));
        Assert.Equal("\"pending\"", JsonSerializer.Serialize(InvitationStateFilter.Pending));
        Assert.Equal(InvitationStateFilter.Pending, JsonSerializer.Deserialize<InvitationStateFilter>("\"pending\""));
    }

    [Fact]
    public void Events_serialise_their_payload_without_routing()
    {
        var e = new InvitationEvent
        {
            Recipient = "bob",
            ExceptDeviceId = "phone",
            Name = InvitationEventNames.IncomingInvitationCancelled,
            InvitationId = "abc",
            Version = 2,
            State = InvitationState.Accepted,
            Inviter = "alice",
            Invitee = "bob",
            DeviceId = "phone",
            Reason = InvitationCancelReasons.AnsweredElsewhere,
            Deadline = T0,
        };

        var node = JsonNode.Parse(JsonSerializer.Serialize(e, Web))!;
        Assert.Null(node["recipient"]);
        Assert.Null(node["exceptDeviceId"]);
        Assert.Equal("incomingInvitationCancelled", (string?)node["name"]);
        Assert.Equal("abc", (string?)node["invitationId"]);
        Assert.Equal(2, (long)node["version"]!);
        Assert.Equal("accepted", (string?)node["state"]);
        Assert.Equal("answeredElsewhere", (string?)node["reason"]);
    }

    [Fact]
    public void Send_results_hide_the_replay_flag()
    {
        var result = new SendInvitationResult
        {
            InvitationId = "abc",
            Timeout = 90,
            CreateTime = T0,
            Deadline = T0.AddSeconds(90),
            ErrorInvitees = [new InviteeError("alice", InviteeErrorReasons.Self)],
            Replayed = true,
        };

        var node = JsonNode.Parse(JsonSerializer.Serialize(result, Web))!;
        Assert.Null(node["replayed"]);
        Assert.Equal("self", (string?)node["errorInvitees"]![0]!["reason"]);
    }
}
