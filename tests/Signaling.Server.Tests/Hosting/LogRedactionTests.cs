using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Signaling.Server.Tests.TestSupport;

namespace Signaling.Server.Tests.Hosting;

/// <summary>No token or API key reaches any log line, at every level, whichever way it was presented.</summary>
/// <remarks>
/// Runs alone: Serilog's request logging writes through the static Log.Logger, which AddSerilog points at the most
/// recently built host, so with hosts built in parallel the request lines of this one could land in another's sinks.
/// </remarks>
[Collection(nameof(LogRedactionTests))]
[CollectionDefinition(nameof(LogRedactionTests), DisableParallelization = true)]
public sealed class LogRedactionTests
{
    [Fact]
    public async Task Tokens_and_API_keys_never_appear_in_the_logs()
    {
        await using var factory = new SignalingFactory("Testing", SignalingFactory.Credentials(
            ("Serilog:MinimumLevel:Default", "Verbose"),
            ("Serilog:MinimumLevel:Override:Microsoft", "Verbose"),
            ("Serilog:MinimumLevel:Override:Microsoft.AspNetCore", "Verbose"),
            ("Serilog:MinimumLevel:Override:System", "Verbose"),
            ("Serilog:MinimumLevel:Override:Signaling", "Verbose")), kestrel: true);
        var (alice, bob, carol, dave) = (Ids.User("alice"), Ids.User("bob"), Ids.User("carol"), Ids.User("dave"));
        var secrets = new Dictionary<string, string>
        {
            ["REST bearer token"] = Tokens.For(alice),
            ["Socket.IO auth token"] = Tokens.For(bob),
            ["Socket.IO query token"] = Tokens.For(carol),
            ["SignalR access_token"] = Tokens.For(dave),
            ["expired REST token"] = Tokens.Expired(alice),
            ["expired Socket.IO token"] = Tokens.Expired(bob),
            ["expired SignalR token"] = Tokens.Expired(dave),
            ["API key"] = Tokens.ApiKey,
            ["wrong API key"] = "wrong-api-key-3c1d0b9e",
            ["signing key"] = Tokens.SigningKey,
        };

        // REST: a bearer token, an expired one, the API key and a wrong one.
        using (var client = factory.WithBearer(secrets["REST bearer token"]))
        {
            await client.SendInvitation(bob, carol, dave);
        }

        using (var client = factory.WithBearer(secrets["expired REST token"]))
        {
            await (await client.Get($"/v1/users/{alice}/invitations")).ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
        }

        using (var client = factory.Backend(secrets["API key"]))
        {
            await client.SendInvitation(new { inviter = alice, invitees = new[] { bob } });
        }

        using (var client = factory.Backend(secrets["wrong API key"]))
        {
            await (await client.Get($"/v1/users/{alice}/invitations")).ExpectProblem(HttpStatusCode.Unauthorized, "unauthenticated");
        }

        // Socket.IO: token in the CONNECT auth payload (4.x), in the handshake query over polling (2.x), and refused ones.
        await using (var socket = await NodeSocketClient.ConnectAsync(factory.Address, new SocketClientOptions { Package = "sio4", Token = secrets["Socket.IO auth token"], DeviceId = "d" }))
        {
            await socket.NextEventAsync("incomingInvitationReceived");
        }

        await using (var socket = await NodeSocketClient.ConnectAsync(factory.Address, new SocketClientOptions { Package = "sio2", FieldsIn = "query", Transports = ["polling"], Token = secrets["Socket.IO query token"] }))
        {
            await socket.NextEventAsync("incomingInvitationReceived");
        }

        await using (var refused = NodeSocketClient.Start(factory.Address, new SocketClientOptions { Package = "sio4", Token = secrets["expired Socket.IO token"] }))
        {
            await refused.NextOfTypeAsync("connect_error");
        }

        await using (var refused = NodeSocketClient.Start(factory.Address, new SocketClientOptions { Package = "sio4", FieldsIn = "query", Transports = ["polling"], Token = secrets["expired Socket.IO token"] }))
        {
            await refused.NextOfTypeAsync("connect_error");
        }

        // SignalR: access_token on negotiate (header) and on the WebSocket request (query), and an expired one.
        await SignalRRoundTrip(factory.Address, secrets["SignalR access_token"]);
        try
        {
            await SignalRRoundTrip(factory.Address, secrets["expired SignalR token"]);
        }
        catch (HttpRequestException)
        {
            // Refused (once the hub refuses bad tokens); either way the token went through the pipeline.
        }

        var lines = factory.Logs.Lines.ToArray();

        // The capture works (the host logs through Serilog; this sees what its sinks see): the request log and low-level lines are there.
        Assert.Contains(lines, l => l.Contains("\"RequestPath\":\"/v1/invitations\"", StringComparison.Ordinal) && l.Contains("\"StatusCode\":201", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"SourceContext\":\"Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerHandler\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"Level\":\"Verbose\"", StringComparison.Ordinal) || l.Contains("\"Level\":\"Debug\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(alice, StringComparison.Ordinal)); // values from requests do reach the capture
        foreach (var (what, secret) in secrets)
        {
            var parts = secret.Split('.');
            var needles = parts.Length == 3 ? new[] { secret, parts[2] } : [secret];
            foreach (var needle in needles)
            {
                var leak = lines.FirstOrDefault(l => l.Contains(needle, StringComparison.Ordinal));
                Assert.True(leak is null, $"The {what} appears in a log line: {leak}");
            }
        }
    }

    private static async Task SignalRRoundTrip(Uri server, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server, "/hubs/signaling?deviceId=d"), HttpTransportType.WebSockets, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        await using (connection)
        {
            await connection.StartAsync(TestContext.Current.CancellationToken).WithTimeout();
            await connection.InvokeAsync<object?>("Join", "log-room", TestContext.Current.CancellationToken).WithTimeout();
        }
    }
}
