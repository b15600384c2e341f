using System.Net;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

public class PollingTransportTests
{
    [Fact]
    public async Task Overlapping_polls_close_the_session_the_first_gets_the_close_packet()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        using var client = server.Polling();
        await client.ConnectAsync();
        var first = client.GetAsync();
        await TestTimeouts.WaitUntilAsync(() => server.Engine.TryGetSession(client.Sid!, out var s) && s.IsPollPending);

        var (secondStatus, _) = await client.GetAsync();

        Assert.Equal(HttpStatusCode.BadRequest, secondStatus);
        Assert.Equal((HttpStatusCode.OK, "1"), await first.Limit());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync()).Status);
        Assert.Equal("overlapping poll", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
    }

    [Fact]
    public async Task Overlapping_posts_close_the_session()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        using var client = server.Polling();
        await client.ConnectAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowPost = client.PostAsync(new SlowContent("42[\"echo\",\"slow\"]"u8.ToArray(), release.Task));
        await TestTimeouts.WaitUntilAsync(() => server.Engine.TryGetSession(client.Sid!, out var s) && s.IsPostInProgress);

        var (secondStatus, _) = await client.PostAsync("42[\"echo\",\"second\"]");
        release.SetResult();

        Assert.Equal(HttpStatusCode.BadRequest, secondStatus);
        await slowPost.Limit();
        Assert.Equal("overlapping post", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync()).Status);
    }

    [Fact]
    public async Task A_client_close_packet_releases_the_pending_poll_with_a_noop()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        using var client = server.Polling();
        await client.ConnectAsync();
        var poll = client.GetAsync();
        await TestTimeouts.WaitUntilAsync(() => server.Engine.TryGetSession(client.Sid!, out var s) && s.IsPollPending);

        Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostAsync("1"));

        Assert.Equal((HttpStatusCode.OK, "6"), await poll.Limit());
        Assert.Equal("transport close", (await server.Disconnected.Reader.ReadAsync(TestTimeouts.Token())).Reason);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync()).Status);
    }

    [Fact]
    public async Task Queued_packets_are_flushed_together_in_one_poll()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        using var client = server.Polling();
        await client.ConnectAsync();
        var socket = await server.NextConnectedAsync();

        socket.Emit("a", 1);
        socket.Emit("b", "é");
        socket.Emit("c", new byte[] { 1, 2, 3 });

        Assert.Equal(
            (HttpStatusCode.OK, "42[\"a\",1]\u001e42[\"b\",\"é\"]\u001e451-[\"c\",{\"_placeholder\":true,\"num\":0}]\u001ebAQID"),
            await client.GetAsync());
    }

    /// <summary>A request body that sends its first byte, then waits before sending the rest.</summary>
    private sealed class SlowContent(byte[] body, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, 1));
            await stream.FlushAsync();
            await release.WaitAsync(TestTimeouts.Default);
            await stream.WriteAsync(body.AsMemory(1));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
