using System.Net;
using System.Text.Json;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Endpoints;

/// <summary>Every transition of the invitation API over HTTP, with user tokens (environment Testing).</summary>
public sealed class InvitationEndpointsTests(TestingFactory factory) : IClassFixture<TestingFactory>
{
    [Fact]
    public async Task Send_returns_201_with_location_and_the_result()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var client = factory.User(alice);

        using var response = await client.PostJson("/v1/invitations", new { invitees = new[] { bob, bob, alice }, timeout = 30, extendedData = "{\"video\":true}", roomId = "room-1" });

        var body = await response.Expect(HttpStatusCode.Created);
        var id = body.Str("invitationId");
        Assert.Equal(22, id.Length);
        Assert.Equal($"/v1/invitations/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(30, body.GetProperty("timeout").GetInt32());
        var created = body.GetProperty("createTime").GetDateTimeOffset();
        Assert.Equal(created.AddSeconds(30), body.GetProperty("deadline").GetDateTimeOffset());
        var errors = body.GetProperty("errorInvitees").EnumerateArray().Select(e => (e.Str("userId"), e.Str("reason"))).ToArray();
        Assert.Equal([(bob, "duplicate"), (alice, "self")], errors);
    }

    [Fact]
    public async Task Send_without_timeout_rings_for_the_default_90_seconds_and_reports_no_error_invitees()
    {
        using var client = factory.User(Ids.User("alice"));

        var body = await client.SendInvitation(Ids.User("bob"));

        Assert.Equal(90, body.GetProperty("timeout").GetInt32());
        Assert.Empty(body.GetProperty("errorInvitees").EnumerateArray());
    }

    [Fact]
    public async Task Get_shows_the_invitation_to_its_participants_only()
    {
        var (alice, bob, mallory) = (Ids.User("alice"), Ids.User("bob"), Ids.User("mallory"));
        using var inviter = factory.User(alice);
        var id = (await inviter.SendInvitation(new { invitees = new[] { bob }, extendedData = "x", roomId = "r1" })).Str("invitationId");

        foreach (var participant in new[] { alice, bob })
        {
            using var client = factory.User(participant);
            var invitation = await (await client.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK);
            Assert.Equal(id, invitation.Str("invitationId"));
            Assert.Equal(alice, invitation.Str("inviter"));
            Assert.Equal("ringing", invitation.Str("state"));
            Assert.Equal("x", invitation.Str("extendedData"));
            Assert.Equal("r1", invitation.Str("roomId"));
            Assert.True(invitation.GetProperty("version").GetInt64() >= 1);
            var entry = Assert.Single(invitation.GetProperty("invitees").EnumerateArray());
            Assert.Equal(bob, entry.Str("userId"));
            Assert.Equal("inviting", entry.Str("state"));
        }

        using var outsider = factory.User(mallory);
        var problem = await (await outsider.Get($"/v1/invitations/{id}")).ExpectProblem(HttpStatusCode.NotFound, "invitation_not_found");
        Assert.False(problem.TryGetProperty("state", out _), "an outsider learns nothing about the invitation");
        Assert.False(problem.TryGetProperty("version", out _));

        using var backend = factory.Backend();
        Assert.Equal(id, (await (await backend.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK)).Str("invitationId"));
    }

    [Fact]
    public async Task Get_of_an_unknown_id_is_invitation_not_found()
    {
        using var client = factory.User(Ids.User("alice"));

        await (await client.Get("/v1/invitations/AAAAAAAAAAAAAAAAAAAAAA")).ExpectProblem(HttpStatusCode.NotFound, "invitation_not_found");
    }

    [Fact]
    public async Task List_returns_pending_incoming_and_outgoing_invitations_newest_first()
    {
        var (alice, carol, bob) = (Ids.User("alice"), Ids.User("carol"), Ids.User("bob"));
        using var fromAlice = factory.User(alice);
        using var fromCarol = factory.User(carol);
        using var client = factory.User(bob);
        var first = (await fromAlice.SendInvitation(bob)).Str("invitationId");
        var second = (await fromCarol.SendInvitation(bob)).Str("invitationId");

        var pending = await (await client.Get($"/v1/users/{bob}/invitations?role=incoming&state=pending")).Expect(HttpStatusCode.OK);
        Assert.Equal([second, first], pending.EnumerateArray().Select(i => i.Str("invitationId")));

        await (await client.Accept(first, "phone")).Expect(HttpStatusCode.OK);

        pending = await (await client.Get($"/v1/users/{bob}/invitations?role=incoming&state=pending")).Expect(HttpStatusCode.OK);
        Assert.Equal([second], pending.EnumerateArray().Select(i => i.Str("invitationId")));
        var accepted = await (await client.Get($"/v1/users/{bob}/invitations?role=incoming&state=accepted")).Expect(HttpStatusCode.OK);
        Assert.Equal([first], accepted.EnumerateArray().Select(i => i.Str("invitationId")));
        var all = await (await client.Get($"/v1/users/{bob}/invitations")).Expect(HttpStatusCode.OK);
        Assert.Equal(2, all.GetArrayLength());
        var outgoing = await (await fromAlice.Get($"/v1/users/{alice}/invitations?role=outgoing")).Expect(HttpStatusCode.OK);
        Assert.Equal([first], outgoing.EnumerateArray().Select(i => i.Str("invitationId")));
    }

    [Theory]
    [InlineData("role=sideways", "role")]
    [InlineData("role=incoming&state=bogus", "state")]
    [InlineData("state=3", "state")]
    public async Task List_with_a_bad_filter_is_invalid_parameter(string query, string field)
    {
        var bob = Ids.User("bob");
        using var client = factory.User(bob);

        var problem = await (await client.Get($"/v1/users/{bob}/invitations?{query}")).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");

        Assert.Equal([field], problem.ErrorFields());
    }

    [Fact]
    public async Task Listing_another_users_invitations_is_forbidden()
    {
        using var client = factory.User(Ids.User("mallory"));

        await (await client.Get($"/v1/users/{Ids.User("bob")}/invitations?role=incoming&state=pending")).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Accept_returns_the_accepted_invitation_and_stops_the_other_invitees()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        using var inviter = factory.User(alice);
        using var client = factory.User(bob);
        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");

        var invitation = await (await client.Accept(id, "bob-phone", "ok")).Expect(HttpStatusCode.OK);

        Assert.Equal("accepted", invitation.Str("state"));
        Assert.Equal(2, invitation.GetProperty("version").GetInt64());
        var entries = invitation.GetProperty("invitees").EnumerateArray().ToDictionary(e => e.Str("userId"));
        Assert.Equal("accepted", entries[bob].Str("state"));
        Assert.Equal("bob-phone", entries[bob].Str("answeredBy"));
        Assert.Equal("ok", entries[bob].Str("extendedData"));
        Assert.Equal("cancelled", entries[carol].Str("state"));
        Assert.Equal("answeredByOther", entries[carol].Str("reason"));
    }

    [Fact]
    public async Task Accept_names_the_caller_in_the_body_optionally()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        using var client = factory.User(bob);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");

        var invitation = await (await client.PostJson($"/v1/invitations/{id}/accept", new { invitee = bob })).Expect(HttpStatusCode.OK);

        Assert.Equal("accepted", invitation.Str("state"));
    }

    [Fact]
    public async Task Refuse_by_every_invitee_rejects_the_invitation()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        using var inviter = factory.User(alice);
        using var bobClient = factory.User(bob);
        using var carolClient = factory.User(carol);
        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");

        var afterBob = await (await bobClient.Refuse(id, "bob-phone")).Expect(HttpStatusCode.OK);
        var afterCarol = await (await carolClient.Refuse(id, reason: "busy")).Expect(HttpStatusCode.OK);

        Assert.Equal("ringing", afterBob.Str("state"));
        Assert.Equal("rejected", afterCarol.Str("state"));
        Assert.Equal(3, afterCarol.GetProperty("version").GetInt64());
        var entries = afterCarol.GetProperty("invitees").EnumerateArray().ToDictionary(e => e.Str("userId"));
        Assert.Equal(("rejected", "decline", "bob-phone"), (entries[bob].Str("state"), entries[bob].Str("reason"), entries[bob].Str("answeredBy")));
        Assert.Equal(("rejected", "busy"), (entries[carol].Str("state"), entries[carol].Str("reason")));
    }

    [Fact]
    public async Task Cancel_stops_every_pending_invitee_or_only_those_named()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        using var inviter = factory.User(alice);
        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");

        var partial = await (await inviter.Cancel(id, new { invitees = new[] { bob }, extendedData = "sorry" })).Expect(HttpStatusCode.OK);
        Assert.Equal("ringing", partial.Str("state"));
        var entries = partial.GetProperty("invitees").EnumerateArray().ToDictionary(e => e.Str("userId"));
        Assert.Equal(("cancelled", "callerCancelled", "sorry"), (entries[bob].Str("state"), entries[bob].Str("reason"), entries[bob].Str("extendedData")));
        Assert.Equal("inviting", entries[carol].Str("state"));

        var full = await (await inviter.PostJson($"/v1/invitations/{id}/cancel", null)).Expect(HttpStatusCode.OK);
        Assert.Equal("cancelled", full.Str("state"));
        Assert.Equal(3, full.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Cancel_with_an_empty_body_cancels_everyone()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");

        using var response = await inviter.PostAsync($"/v1/invitations/{id}/cancel", null, TestContext.Current.CancellationToken).WithTimeout();

        Assert.Equal("cancelled", (await response.Expect(HttpStatusCode.OK)).Str("state"));
    }

    // ---- errors -------------------------------------------------------------------------------------------------------

    public static TheoryData<string, string, string?> InvalidSendBodies => new()
    {
        { "malformed JSON", "{\"invitees\": [\"bob\"", null },
        { "not an object", "[\"bob\"]", null },
        { "invitees not a list", "{\"invitees\": \"bob\"}", null },
        { "timeout not a number", "{\"invitees\": [\"bob\"], \"timeout\": \"soon\"}", null },
        { "timeout a fraction", "{\"invitees\": [\"bob\"], \"timeout\": 1.5}", null },
        { "extendedData an object", "{\"invitees\": [\"bob\"], \"extendedData\": {\"a\": 1}}", null },
        { "no invitees", "{}", "invitees" },
        { "empty invitees", "{\"invitees\": []}", "invitees" },
        { "timeout 0", "{\"invitees\": [\"bob\"], \"timeout\": 0}", "timeout" },
        { "timeout 601", "{\"invitees\": [\"bob\"], \"timeout\": 601}", "timeout" },
        { "extendedData 2049 UTF-8 bytes in 683 characters", $"{{\"invitees\": [\"bob\"], \"extendedData\": \"{new string('€', 683)}\"}}", "extendedData" },
        { "push title over 2 KB", $"{{\"invitees\": [\"bob\"], \"pushConfig\": {{\"title\": \"{new string('t', 2049)}\"}}}}", "pushConfig.title" },
        { "room id over 256 characters", $"{{\"invitees\": [\"bob\"], \"roomId\": \"{new string('r', 257)}\"}}", "roomId" },
    };

    [Theory]
    [MemberData(nameof(InvalidSendBodies))]
    public async Task Send_with_a_bad_body_is_invalid_parameter(string what, string json, string? field)
    {
        using var client = factory.User(Ids.User("alice"));

        using var response = await client.PostRaw("/v1/invitations", json);

        var problem = await response.ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");
        if (field is not null)
        {
            Assert.True(problem.ErrorFields().Contains(field), $"{what}: errors {problem.GetProperty("errors")}");
        }
    }

    [Fact]
    public async Task Send_exactly_at_the_limits_is_accepted()
    {
        using var client = factory.User(Ids.User("alice"));

        var body = await client.SendInvitation(new { invitees = Enumerable.Range(0, 9).Select(i => Ids.User($"b{i}")).ToArray(), timeout = 600, extendedData = new string('€', 682) + "xx" });

        Assert.Equal(600, body.GetProperty("timeout").GetInt32());
    }

    [Fact]
    public async Task Send_without_a_body_or_not_as_JSON_is_invalid_parameter()
    {
        using var client = factory.User(Ids.User("alice"));

        await (await client.PostRaw("/v1/invitations", string.Empty)).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");
        await (await client.PostRaw("/v1/invitations", "invitees=bob", "application/x-www-form-urlencoded")).ExpectProblem(HttpStatusCode.UnsupportedMediaType, "invalid_parameter");
    }

    [Fact]
    public async Task Send_with_only_unusable_invitees_is_invalid_parameter_with_error_invitees()
    {
        var alice = Ids.User("alice");
        using var client = factory.User(alice);

        using var response = await client.PostJson("/v1/invitations", new { invitees = new[] { alice, " " } });

        var problem = await response.ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");
        Assert.Equal(["invitees"], problem.ErrorFields());
        var reasons = problem.GetProperty("errorInvitees").EnumerateArray().Select(e => e.Str("reason")).ToArray();
        Assert.Equal(["self", "invalid"], reasons);
    }

    [Fact]
    public async Task Send_to_more_than_9_invitees_is_too_many_invitees()
    {
        using var client = factory.User(Ids.User("alice"));

        using var response = await client.PostJson("/v1/invitations", new { invitees = Enumerable.Range(0, 10).Select(i => $"user{i}").ToArray() });

        var problem = await response.ExpectProblem(HttpStatusCode.UnprocessableEntity, "too_many_invitees");
        Assert.Equal(["invitees"], problem.ErrorFields());
    }

    [Fact]
    public async Task Acting_as_another_user_is_forbidden()
    {
        var (alice, bob, mallory) = (Ids.User("alice"), Ids.User("bob"), Ids.User("mallory"));
        using var inviter = factory.User(alice);
        using var impostor = factory.User(mallory);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");

        await (await impostor.PostJson("/v1/invitations", new { inviter = alice, invitees = new[] { bob } })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        await (await impostor.PostJson($"/v1/invitations/{id}/accept", new { invitee = bob })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        await (await impostor.PostJson($"/v1/invitations/{id}/refuse", new { invitee = bob })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        await (await impostor.PostJson($"/v1/invitations/{id}/cancel", new { inviter = alice })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");

        // Nothing happened.
        Assert.Equal("ringing", (await (await inviter.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK)).Str("state"));
    }

    [Fact]
    public async Task Cancel_by_anyone_but_the_inviter_is_forbidden()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        using var invitee = factory.User(bob);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");

        await (await invitee.Cancel(id)).ExpectInvitationProblem(HttpStatusCode.Forbidden, "forbidden", id, "ringing", 1);
    }

    [Fact]
    public async Task Answering_an_invitation_one_is_not_invited_to_is_not_invited()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        using var outsider = factory.User(Ids.User("mallory"));
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");

        await (await outsider.Accept(id)).ExpectInvitationProblem(HttpStatusCode.Forbidden, "not_invited", id, "ringing", 1);
        await (await outsider.Refuse(id)).ExpectInvitationProblem(HttpStatusCode.Forbidden, "not_invited", id, "ringing", 1);
    }

    [Fact]
    public async Task Operations_on_an_unknown_invitation_are_invitation_not_found()
    {
        using var client = factory.User(Ids.User("alice"));
        const string Id = "AAAAAAAAAAAAAAAAAAAAAA";

        foreach (var response in new[] { await client.Accept(Id), await client.Refuse(Id), await client.Cancel(Id) })
        {
            using (response)
            {
                var problem = await response.ExpectProblem(HttpStatusCode.NotFound, "invitation_not_found");
                Assert.Equal(Id, problem.Str("invitationId"));
            }
        }
    }

    [Fact]
    public async Task Answering_or_cancelling_a_cancelled_invitation_is_invitation_ended()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        using var invitee = factory.User(bob);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");
        await (await inviter.Cancel(id)).Expect(HttpStatusCode.OK);

        await (await invitee.Accept(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invitation_ended", id, "cancelled", 2);
        await (await invitee.Refuse(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invitation_ended", id, "cancelled", 2);
        await (await inviter.Cancel(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invitation_ended", id, "cancelled", 2);
    }

    [Fact]
    public async Task After_an_accept_every_other_answer_and_the_cancel_are_already_answered_naming_who()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        using var inviter = factory.User(alice);
        using var bobClient = factory.User(bob);
        using var carolClient = factory.User(carol);
        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");
        await (await bobClient.Accept(id, "bob-phone")).Expect(HttpStatusCode.OK);

        foreach (var response in new[]
        {
            await carolClient.Accept(id, "carol-phone"),
            await carolClient.Refuse(id),
            await bobClient.Accept(id, "bob-tablet"),
            await inviter.Cancel(id),
        })
        {
            using (response)
            {
                var problem = await response.ExpectInvitationProblem(HttpStatusCode.Conflict, "already_answered", id, "accepted", 2);
                var answeredBy = problem.GetProperty("answeredBy");
                Assert.Equal(bob, answeredBy.Str("userId"));
                Assert.Equal("bob-phone", answeredBy.Str("deviceId"));
            }
        }
    }

    [Fact]
    public async Task Answering_against_ones_own_earlier_answer_is_invalid_state()
    {
        var (alice, bob, carol) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"));
        using var inviter = factory.User(alice);
        using var bobClient = factory.User(bob);
        using var carolClient = factory.User(carol);
        var id = (await inviter.SendInvitation(bob, carol)).Str("invitationId");
        await (await bobClient.Refuse(id)).Expect(HttpStatusCode.OK);

        await (await bobClient.Accept(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invalid_state", id, "ringing", 2);
        await (await bobClient.Refuse(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invalid_state", id, "ringing", 2);
        await (await inviter.Cancel(id, new { invitees = new[] { bob } })).ExpectInvitationProblem(HttpStatusCode.Conflict, "invalid_state", id, "ringing", 2);

        await (await carolClient.Accept(id, "carol-phone")).Expect(HttpStatusCode.OK);
        var problem = await (await carolClient.Refuse(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invalid_state", id, "accepted", 3);
        Assert.Equal(carol, problem.GetProperty("answeredBy").Str("userId"));
    }

    [Fact]
    public async Task Cancel_naming_someone_not_invited_is_invalid_parameter()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");

        var problem = await (await inviter.Cancel(id, new { invitees = new[] { "stranger" } }))
            .ExpectInvitationProblem(HttpStatusCode.BadRequest, "invalid_parameter", id, "ringing", 1);

        Assert.Equal(["invitees"], problem.ErrorFields());
    }

    [Fact]
    public async Task Answers_with_bad_fields_are_invalid_parameter()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        using var invitee = factory.User(bob);
        var id = (await inviter.SendInvitation(bob)).Str("invitationId");
        var tooLong = new string('d', 257);

        Assert.Equal(["deviceId"], (await (await invitee.Accept(id, tooLong)).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter")).ErrorFields());
        Assert.Equal(["reason"], (await (await invitee.Refuse(id, reason: tooLong)).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter")).ErrorFields());
        Assert.Equal(["extendedData"], (await (await invitee.Accept(id, extendedData: new string('x', 2049))).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter")).ErrorFields());
        await (await invitee.PostRaw($"/v1/invitations/{id}/accept", "{\"deviceId\": 5}")).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");
        await (await invitee.PostRaw($"/v1/invitations/{id}/refuse", "{oops")).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");

        Assert.Equal("ringing", (await (await inviter.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK)).Str("state"));
    }

    [Fact]
    public async Task Calling_someone_who_is_calling_you_is_glare()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var aliceClient = factory.User(alice);
        using var bobClient = factory.User(bob);
        var existing = (await aliceClient.SendInvitation(bob)).Str("invitationId");

        var problem = await (await bobClient.PostJson("/v1/invitations", new { invitees = new[] { alice } })).ExpectProblem(HttpStatusCode.Conflict, "glare");

        Assert.Equal(existing, problem.Str("existingInvitationId"));
        Assert.Equal(existing, problem.Str("invitationId"));
        Assert.Equal("ringing", problem.Str("state"));
        Assert.Equal(1, problem.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_returns_the_first_answer_and_creates_nothing()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var client = factory.User(alice);
        using var invitee = factory.User(bob);
        var key = Guid.NewGuid().ToString();
        var body = new { invitees = new[] { bob }, timeout = 45 };

        using var first = await client.PostJson("/v1/invitations", body, key);
        using var retry = await client.PostJson("/v1/invitations", body, key);

        var created = await first.Expect(HttpStatusCode.Created);
        var replayed = await retry.Expect(HttpStatusCode.OK);
        Assert.Equal(created.GetRawText(), replayed.GetRawText());
        var outgoing = await (await client.Get($"/v1/users/{alice}/invitations?role=outgoing")).Expect(HttpStatusCode.OK);
        Assert.Equal(1, outgoing.GetArrayLength());
        var incoming = await (await invitee.Get($"/v1/users/{bob}/invitations?role=incoming")).Expect(HttpStatusCode.OK);
        Assert.Equal(1, incoming.GetArrayLength());

        var conflict = await (await client.PostJson("/v1/invitations", new { invitees = new[] { bob }, timeout = 46 }, key)).ExpectProblem(HttpStatusCode.Conflict, "idempotency_conflict");
        Assert.Equal(created.Str("invitationId"), conflict.Str("existingInvitationId"));
        outgoing = await (await client.Get($"/v1/users/{alice}/invitations?role=outgoing")).Expect(HttpStatusCode.OK);
        Assert.Equal(1, outgoing.GetArrayLength());
    }

    [Fact]
    public async Task Idempotency_keys_are_per_inviter()
    {
        var bob = Ids.User("bob");
        using var alice = factory.User(Ids.User("alice"));
        using var carol = factory.User(Ids.User("carol"));
        var key = Guid.NewGuid().ToString();

        var fromAlice = await (await alice.PostJson("/v1/invitations", new { invitees = new[] { bob } }, key)).Expect(HttpStatusCode.Created);
        var fromCarol = await (await carol.PostJson("/v1/invitations", new { invitees = new[] { bob } }, key)).Expect(HttpStatusCode.Created);

        Assert.NotEqual(fromAlice.Str("invitationId"), fromCarol.Str("invitationId"));
    }

    [Fact]
    public async Task An_idempotency_key_over_256_characters_is_invalid_parameter()
    {
        using var client = factory.User(Ids.User("alice"));

        var problem = await (await client.PostJson("/v1/invitations", new { invitees = new[] { "bob" } }, new string('k', 257))).ExpectProblem(HttpStatusCode.BadRequest, "invalid_parameter");

        Assert.Equal(["idempotencyKey"], problem.ErrorFields());
    }

    [Fact]
    public async Task After_the_deadline_every_operation_is_invitation_timed_out()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        using var invitee = factory.User(bob);
        var id = (await inviter.SendInvitation(new { invitees = new[] { bob }, timeout = 1 })).Str("invitationId");

        await TestTimeouts.WaitUntilAsync(
            async () => (await (await inviter.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK)).Str("state") == "timeout",
            "the invitation to time out");

        await (await invitee.Accept(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invitation_timed_out", id, "timeout");
        await (await invitee.Refuse(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invitation_timed_out", id, "timeout");
        await (await inviter.Cancel(id)).ExpectInvitationProblem(HttpStatusCode.Conflict, "invitation_timed_out", id, "timeout");
        var entry = (await (await invitee.Get($"/v1/invitations/{id}")).Expect(HttpStatusCode.OK)).GetProperty("invitees")[0];
        Assert.Equal("timeout", entry.Str("state"));
        var pending = await (await invitee.Get($"/v1/users/{bob}/invitations?role=incoming&state=pending")).Expect(HttpStatusCode.OK);
        Assert.Equal(0, pending.GetArrayLength());
    }

    [Fact]
    public async Task Of_two_concurrent_accepts_by_two_devices_exactly_one_wins_every_time()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        using var phone = factory.User(bob);
        using var tablet = factory.User(bob);

        for (var round = 0; round < 50; round++)
        {
            var id = (await inviter.SendInvitation(bob)).Str("invitationId");

            var responses = await Task.WhenAll(phone.Accept(id, "phone"), tablet.Accept(id, "tablet")).WithTimeout();

            try
            {
                var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
                var loser = Assert.Single(responses, r => r.StatusCode != HttpStatusCode.OK);
                var device = (await winner.Expect(HttpStatusCode.OK)).GetProperty("invitees")[0].Str("answeredBy");
                var problem = await loser.ExpectInvitationProblem(HttpStatusCode.Conflict, "already_answered", id, "accepted", 2);
                Assert.Equal(bob, problem.GetProperty("answeredBy").Str("userId"));
                Assert.Equal(device, problem.GetProperty("answeredBy").Str("deviceId"));
            }
            finally
            {
                foreach (var response in responses)
                {
                    response.Dispose();
                }
            }
        }
    }
}
