using Signaling.SocketIO.Tests.Infrastructure;
using SocketIOClient.Transport;
using Client = SocketIOClient.SocketIO;
using ClientOptions = SocketIOClient.SocketIOOptions;

namespace Signaling.SocketIO.Tests.SocketIO;

/// <summary>The .NET <c>SocketIOClient</c> package (EIO4 over WebSocket) against the server.</summary>
public class SocketIOClientInteropTests
{
    [Fact]
    public async Task Connects_emits_with_ack_receives_server_events_and_answers_server_acks()
    {
        await using var server = await SocketIOTestServer.StartAsync(configure: io => io.Of("/").OnConnection(socket =>
        {
            socket.Emit("welcome", new { socketId = socket.Id });
            return ValueTask.CompletedTask;
        }));
        using var client = new Client(server.BaseAddress, new ClientOptions
        {
            Path = "/socket.io",
            EIO = 4,
            Transport = TransportProtocol.WebSocket,
            Reconnection = false,
            ConnectionTimeout = TestTimeouts.Default,
        });
        var welcome = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var echoed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.On("welcome", response => welcome.TrySetResult(response.GetValue(0).GetProperty("socketId").GetString()!));
        client.On("echo-back", response => echoed.TrySetResult(response.GetValue<string>(0)));
        client.On("question", response => response.CallbackAsync("answer", 42));

        await client.ConnectAsync().Limit();
        var socket = await server.NextConnectedAsync();

        Assert.Equal(socket.Id, await welcome.Task.Limit());
        Assert.Equal(socket.Id, client.Id);

        var acked = new TaskCompletionSource<(string, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.EmitAsync("ack", response => acked.TrySetResult((response.GetValue<string>(0), response.GetValue<int>(1))), "hello", 7).Limit();
        Assert.Equal(("hello", 7), await acked.Task.Limit());

        await client.EmitAsync("echo", "round trip").Limit();
        Assert.Equal("round trip", await echoed.Task.Limit());

        var ack = await socket.EmitWithAckAsync("question", ["why?"], cancellationToken: TestTimeouts.Token());
        Assert.Equal("answer", ack.Arguments[0].GetString());
        Assert.Equal(42, ack.Arguments[1].GetInt32());

        await client.DisconnectAsync().Limit();
        Assert.Equal("client namespace disconnect", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
        Bystander.AssertNoUnhandledExceptions(server);
    }
}
