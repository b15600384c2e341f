using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Signaling.Server.Tests.Realtime;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Hubs;

/// <summary>The SignalR hub at <c>/hubs/signaling</c> with the .NET client: invitation events and the relay.</summary>
public sealed class SignalingHubTests(KestrelFactory factory) : IClassFixture<KestrelFactory>
{
    [Fact]
    public async Task Invitation_events_arrive_with_the_same_payload_as_on_Socket_IO()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var aliceHub = await HubClient.ConnectAsync(factory.Address, Tokens.For(alice), "alice-desktop");
        await using var bobHub = await HubClient.ConnectAsync(factory.Address, Tokens.For(bob), "bob-desktop");
        await using var bobSocket = await NodeSocketClient.ConnectAsync(factory.Address, new SocketClientOptions { Package = "sio4", Token = Tokens.For(bob), DeviceId = "bob-phone" });
        using var inviter = factory.User(alice);
        using var invitee = factory.User(bob);

        // Both of Bob's connections registered before the call: one registered later would get the invitation from
        // the pending list, already marked received by the other (a later version), not the live event.
        await bobSocket.BarrierAsync();
        var id = (await inviter.SendInvitation(new { invitees = new[] { bob }, extendedData = "x", roomId = "r", pushConfig = new { title = "t" } })).Str("invitationId");
        var overHub = await bobHub.NextAsync("incomingInvitationReceived");
        var overSocket = await bobSocket.NextEventAsync("incomingInvitationReceived");

        SocketIOInvitationEventsTests.AssertEnvelope(overHub, "incomingInvitationReceived", id, alice, "ringing", 1);
        Assert.True(JsonElement.DeepEquals(overSocket, overHub), $"Socket.IO: {overSocket}\nSignalR:   {overHub}");

        var version = (await (await invitee.Accept(id, "bob-phone", "ok")).Expect(HttpStatusCode.OK)).GetProperty("version").GetInt64();

        var stop = await bobHub.NextAsync("incomingInvitationCancelled");
        SocketIOInvitationEventsTests.AssertEnvelope(stop, "incomingInvitationCancelled", id, alice, "accepted", version);
        Assert.Equal("answeredElsewhere", stop.Str("reason"));
        Assert.Equal("bob-phone", stop.Str("deviceId"));
        var accepted = await aliceHub.NextAsync("outgoingInvitationAccepted");
        SocketIOInvitationEventsTests.AssertEnvelope(accepted, "outgoingInvitationAccepted", id, alice, "accepted", version);
        Assert.Equal(("bob-phone", "ok", "r"), (accepted.Str("deviceId"), accepted.Str("extendedData"), accepted.Str("roomId")));
        await bobSocket.BarrierAsync();
        Assert.DoesNotContain("incomingInvitationCancelled", bobSocket.EventNames);
    }

    [Fact]
    public async Task A_hub_connection_arriving_while_an_invitation_rings_gets_it_and_hears_cancel_and_timeout()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        using var inviter = factory.User(alice);
        var cancelled = (await inviter.SendInvitation(bob)).Str("invitationId");
        using var carol = factory.User(Ids.User("carol"));
        var timingOut = (await carol.SendInvitation(new { invitees = new[] { bob }, timeout = 2 })).Str("invitationId");

        await using var bobHub = await HubClient.ConnectAsync(factory.Address, Tokens.For(bob), "bob-desktop");
        var ringing = new[] { await bobHub.NextAsync("incomingInvitationReceived"), await bobHub.NextAsync("incomingInvitationReceived") };
        Assert.Equal(new[] { cancelled, timingOut }.Order(), ringing.Select(e => e.Str("invitationId")).Order());
        await (await inviter.Cancel(cancelled)).Expect(HttpStatusCode.OK);

        var stop = await bobHub.NextAsync("incomingInvitationCancelled");
        var timeout = await bobHub.NextAsync("incomingInvitationTimeout");

        SocketIOInvitationEventsTests.AssertEnvelope(stop, "incomingInvitationCancelled", cancelled, alice, "cancelled");
        Assert.Equal("callerCancelled", stop.Str("reason"));
        Assert.Equal(timingOut, timeout.Str("invitationId"));
        Assert.Equal("timeout", timeout.Str("state"));
    }

    [Fact]
    public async Task Join_exchange_and_leave_relay_between_hub_connections()
    {
        await using var a = await HubClient.ConnectAsync(factory.Address, Tokens.For(Ids.User("a")), "a1");
        await using var b = await HubClient.ConnectAsync(factory.Address, token: null, deviceId: null);
        var room = "hub-" + Guid.NewGuid().ToString("N");

        Assert.Equal(0, (await a.InvokeAsync("Join", room)).GetArrayLength());
        Assert.Equal([a.Id], (await b.InvokeAsync("Join", room)).EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(JsonValueKind.Null, (await b.InvokeAsync("Exchange", new { to = a.Id, sdp = new { type = "offer", sdp = "v=0" }, from = "forged" })).ValueKind);
        var offer = await a.NextAsync("exchange");
        await a.InvokeAsync("Exchange", new { to = b.Id, candidate = new { candidate = "candidate:1", sdpMid = "0" } });
        var candidate = await b.NextAsync("exchange");
        await a.InvokeAsync("Leave", room);
        var left = await b.NextAsync("leave");

        Assert.Equal(b.Id, offer.Str("from"));
        Assert.Equal("offer", offer.GetProperty("sdp").Str("type"));
        Assert.Equal(a.Id, candidate.Str("from"));
        Assert.Equal(a.Id, left.GetString());
        var refused = await b.InvokeAsync("Exchange", new { to = a.Id, sdp = "after leave" });
        Assert.Equal("unknown_peer", refused.GetProperty("error").Str("code"));
        Assert.Equal("invalid_room", (await a.InvokeAsync("Join", "")).GetProperty("error").Str("code"));
    }

    [Fact]
    public async Task A_hub_client_and_a_socket_io_4_client_exchange_offer_and_answer_and_the_hub_hears_leave()
    {
        await using var hub = await HubClient.ConnectAsync(factory.Address, Tokens.For(Ids.User("web")), "web-1");
        await using var socket = await NodeSocketClient.ConnectAsync(factory.Address, new SocketClientOptions { Package = "sio4" });
        var room = "mixed-" + Guid.NewGuid().ToString("N");

        Assert.Equal(0, (await hub.InvokeAsync("Join", room)).GetArrayLength());
        var members = (await socket.EmitWithAckAsync("join", room))[0];
        Assert.Equal([hub.Id], members.EnumerateArray().Select(i => i.GetString()));

        await socket.EmitAsync("exchange", new { to = hub.Id, sdp = new { type = "offer", sdp = "v=0 offer" } });
        var offer = await hub.NextAsync("exchange");
        await hub.InvokeAsync("Exchange", new { to = socket.Id, sdp = new { type = "answer", sdp = "v=0 answer" } });
        var answer = await socket.NextEventAsync("exchange");

        Assert.Equal(socket.Id, offer.Str("from"));
        Assert.Equal(hub.Id, offer.Str("to"));
        Assert.Equal("v=0 offer", offer.GetProperty("sdp").Str("sdp"));
        Assert.Equal(hub.Id, answer.Str("from"));
        Assert.Equal("v=0 answer", answer.GetProperty("sdp").Str("sdp"));

        await socket.DisconnectAsync();
        Assert.Equal(socket.Id, (await hub.NextAsync("leave")).GetString());
    }

    [Fact]
    public async Task An_anonymous_hub_connection_gets_no_invitation_events()
    {
        var (alice, bob) = (Ids.User("alice"), Ids.User("bob"));
        await using var anonymous = await HubClient.ConnectAsync(new Uri(factory.Address, $"?userId={bob}"), token: null, deviceId: "spoof");
        await using var bobHub = await HubClient.ConnectAsync(factory.Address, Tokens.For(bob), "bob-desktop");
        using var inviter = factory.User(alice);

        await inviter.SendInvitation(bob);
        await bobHub.NextAsync("incomingInvitationReceived");
        await anonymous.InvokeAsync("Join", "barrier-" + Guid.NewGuid().ToString("N"));

        Assert.Empty(anonymous.Received);
    }

    /// <summary>
    /// The hub allows anonymous connections (for the relay); before the hub's authorization policy, a connection whose
    /// token failed validation silently became anonymous and never got invitation events, while Socket.IO refuses it.
    /// </summary>
    [Theory]
    [InlineData("expired")]
    [InlineData("bad signature")]
    public async Task A_hub_connection_with_an_invalid_token_is_refused_like_a_socket(string what)
    {
        var token = what == "expired" ? Tokens.Expired("bob") : Tokens.BadSignature("bob");

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => HubClient.ConnectAsync(factory.Address, token, "d"));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    /// <summary>A SignalR .NET client that records every event it is sent.</summary>
    private sealed class HubClient : IAsyncDisposable
    {
        private static readonly string[] Events =
        [
            "exchange", "leave", "incomingInvitationReceived", "incomingInvitationCancelled", "incomingInvitationTimeout",
            "outgoingInvitationAccepted", "outgoingInvitationRejected", "outgoingInvitationTimeout",
        ];

        private readonly HubConnection _connection;
        private readonly Channel<(string Name, JsonElement Argument)> _events = Channel.CreateUnbounded<(string, JsonElement)>();
        private readonly List<(string Name, JsonElement Argument)> _unconsumed = [];
        private readonly List<string> _received = [];

        private HubClient(HubConnection connection)
        {
            _connection = connection;
            foreach (var name in Events)
            {
                connection.On<JsonElement>(name, argument =>
                {
                    lock (_received)
                    {
                        _received.Add(name);
                    }

                    _events.Writer.TryWrite((name, argument));
                });
            }
        }

        public string Id => _connection.ConnectionId!;

        public IReadOnlyList<string> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public static async Task<HubClient> ConnectAsync(Uri server, string? token, string? deviceId)
        {
            var url = new UriBuilder(new Uri(server, "/hubs/signaling")) { Query = server.Query.TrimStart('?') };
            if (deviceId is not null)
            {
                url.Query = (url.Query.Length > 1 ? url.Query.TrimStart('?') + "&" : string.Empty) + "deviceId=" + Uri.EscapeDataString(deviceId);
            }

            var connection = new HubConnectionBuilder()
                .WithUrl(url.Uri, HttpTransportType.WebSockets, options =>
                {
                    if (token is not null)
                    {
                        options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                    }
                })
                .Build();
            var client = new HubClient(connection);
            try
            {
                await connection.StartAsync(TestContext.Current.CancellationToken).WithTimeout();

                // The handshake is answered before the hub's OnConnectedAsync has registered the connection (its user
                // and device); invocations are served only after it. One round trip makes the client as registered
                // as a Socket.IO client whose CONNECT packet was followed by an acknowledged event.
                await connection.InvokeAsync<object?>("Leave", "registered-" + Guid.NewGuid().ToString("N"), TestContext.Current.CancellationToken).WithTimeout();
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }

            return client;
        }

        public Task<JsonElement> InvokeAsync(string method, object argument)
            => _connection.InvokeAsync<JsonElement>(method, argument, TestContext.Current.CancellationToken).WithTimeout();

        public async Task<JsonElement> NextAsync(string name)
        {
            var index = _unconsumed.FindIndex(e => e.Name == name);
            if (index >= 0)
            {
                var found = _unconsumed[index];
                _unconsumed.RemoveAt(index);
                return found.Argument;
            }

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(TestTimeouts.Default);
            try
            {
                while (true)
                {
                    var next = await _events.Reader.ReadAsync(cts.Token);
                    if (next.Name == name)
                    {
                        return next.Argument;
                    }

                    _unconsumed.Add(next);
                }
            }
            catch (OperationCanceledException e)
            {
                throw new TimeoutException($"SignalR client {Id}: no '{name}' within {TestTimeouts.Default.TotalSeconds:0} s; received [{string.Join(", ", Received)}].", e);
            }
        }

        public async ValueTask DisposeAsync() => await _connection.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Default);
    }
}
