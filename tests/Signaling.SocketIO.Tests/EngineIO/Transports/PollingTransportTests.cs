using System.Net;
using Microsoft.AspNetCore.Builder;
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

    /// <summary>
    /// A poll or POST answered but not yet finished on the server (its thread descheduled right after the response
    /// went out, as on a busy machine) while the client, which has its answer, sends the next one: not an overlap.
    /// </summary>
    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task The_next_request_sent_as_soon_as_the_answer_arrived_is_no_overlap(string method)
    {
        await using var server = await SocketIOTestServer.StartAsync(pipeline: app => app.Use(async (context, next) =>
        {
            if (context.Request.Method == method && context.Request.Query.ContainsKey("sid"))
            {
                context.Response.Body = new LingeringAfterWriteStream(context.Response.Body, TimeSpan.FromMilliseconds(300));
            }

            await next(context);
        }));
        // Every request on a new connection, as socket.io-client 1.x in Node sends them: on a kept-alive one Kestrel
        // would not read the next request before the previous handler returned.
        var fresh = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = server.BaseAddress, Timeout = TestTimeouts.Default };
        using var client = new PollingClient(fresh, 4, null);
        await client.ConnectAsync();
        var socket = await server.NextConnectedAsync();
        var session = socket.Session;

        for (var i = 0; i < 3; i++)
        {
            if (method == "GET")
            {
                var poll = client.GetAsync();
                await TestTimeouts.WaitUntilAsync(() => session.IsPollPending);
                socket.Emit("tick", i);
                Assert.Equal(HttpStatusCode.OK, (await poll.Limit()).Status);
            }
            else
            {
                Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostAsync("42[\"ack\",\"x\"]"));
            }
        }

        Assert.False(session.IsClosed, session.CloseReason);
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
        // Every request on a new connection, as socket.io-client 1.x in Node sends them: on a kept-alive one Kestrel
        // would not read the next request before the previous handler returned.
        var fresh = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = server.BaseAddress, Timeout = TestTimeouts.Default };
        using var client = new PollingClient(fresh, 4, null);
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

/// <summary>Writes through and flushes, then keeps the caller waiting: the response is out, the handler not done.</summary>
internal sealed class LingeringAfterWriteStream(Stream inner, TimeSpan linger) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        await inner.FlushAsync(cancellationToken);
        await Task.Delay(linger, CancellationToken.None);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
