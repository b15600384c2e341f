using System.Net.WebSockets;
using Signaling.SocketIO.Tests.EngineIO.Transports;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.SocketIO;

/// <summary>Malformed Socket.IO packets close the offending Engine.IO connection only.</summary>
public class SocketIOConnectionMalformedPacketTests
{
    private static readonly string DeepJson = "42[\"echo\"," + new string('[', 100) + new string(']', 100) + "]";

    /// <summary>Frames sent after the client joined <c>/</c> (EIO4) or was joined (EIO3), or before joining when <c>connect</c> is false.</summary>
    public static TheoryData<int, bool, string[]> Packets => new()
    {
        { 4, true, ["text:4abc"] },
        { 4, true, ["text:4"] },
        { 4, true, ["text:42{}"] },
        { 4, true, ["text:42abc[\"echo\",1]"] },
        { 4, true, ["text:42[\"echo\""] },
        { 4, true, ["text:42[]"] },
        { 4, true, ["text:42[{}]"] },
        { 4, true, ["text:45x-[\"echo\"]"] },
        { 4, true, ["text:4599999-[\"echo\"]"] },
        { 4, true, ["text:451-[\"echo\",{\"_placeholder\":true,\"num\":0}]", "text:42[\"echo\",1]"] },
        { 4, true, ["bin:010203"] },
        { 4, true, ["text:40"] },
        { 4, true, ["text:42/custom,[\"echo\",1]"] },
        { 4, true, ["text:41/custom,"] },
        { 4, true, ["text:44{\"message\":\"x\"}"] },
        { 4, true, ["text:" + DeepJson] },
        { 4, false, ["text:40\"str\""] },
        { 4, false, ["text:40[1]"] },
        { 4, false, ["text:42[\"echo\",1]"] },
        { 3, true, ["text:42{}"] },
        { 3, true, ["text:4abc"] },
        { 3, true, ["bin:04010203"] },
    };

    [Theory]
    [MemberData(nameof(Packets))]
    public async Task Malformed_packet_closes_that_connection_only(int protocol, bool connect, string[] frames)
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var bystander = await server.ConnectedWebSocketAsync();
        await using var victim = await server.WebSocketAsync(protocol);
        Assert.StartsWith("0{", await victim.ReceiveTextAsync());
        if (protocol == 3)
        {
            Assert.Equal("40", await victim.ReceiveTextAsync());
        }
        else if (connect)
        {
            await victim.SendTextAsync("40");
            Assert.StartsWith("40{", await victim.ReceiveTextAnsweringPingsAsync());
        }

        foreach (var frame in frames)
        {
            await MalformedFrameTests.SendAsync(victim, frame);
        }

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await victim.WaitForCloseAsync());
        await Bystander.AssertServedAsync(server, bystander, "still here");
        Bystander.AssertNoUnhandledExceptions(server);
    }

    [Fact]
    public async Task Unknown_namespace_gets_CONNECT_ERROR_and_the_connection_stays_open()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.WebSocketAsync();
        Assert.StartsWith("0{", await client.ReceiveTextAsync());

        await client.SendTextAsync("40/random");
        Assert.Equal("44/random,{\"message\":\"Invalid namespace\"}", await client.ReceiveTextAsync());

        await client.SendTextAsync("40");
        Assert.StartsWith("40{\"sid\":", await client.ReceiveTextAnsweringPingsAsync());
    }

    [Fact]
    public async Task Ack_with_an_unknown_id_is_ignored()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();

        await client.SendTextAsync("4399[\"x\"]");

        await Bystander.AssertServedAsync(server, client, "after the ack");
    }
}
