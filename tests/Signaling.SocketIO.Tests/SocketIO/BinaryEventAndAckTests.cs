using System.Net;
using System.Text;
using System.Text.Json;
using Signaling.SocketIO.Tests.Infrastructure;

namespace Signaling.SocketIO.Tests.SocketIO;

/// <summary>Binary events and acknowledgements in both directions, over every transport framing.</summary>
public class BinaryEventAndAckTests
{
    private const string Placeholder0 = "{\"_placeholder\":true,\"num\":0}";
    private const string Placeholder1 = "{\"_placeholder\":true,\"num\":1}";

    [Fact]
    public async Task Binary_event_comes_back_with_its_attachments_in_order_over_websocket()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();

        await client.SendTextAsync($"452-[\"echo\",{Placeholder0},\"middle\",{Placeholder1}]");
        await client.SendBinaryAsync(1, 2, 3);
        await client.SendBinaryAsync(4, 5, 6);

        Assert.Equal($"452-[\"echo-back\",{Placeholder0},\"middle\",{Placeholder1}]", await client.ReceiveTextAnsweringPingsAsync());
        Assert.Equal([1, 2, 3], await client.ReceiveBinaryAsync());
        Assert.Equal([4, 5, 6], await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task Binary_ack_is_a_BINARY_ACK_with_the_same_id()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();

        await client.SendTextAsync($"451-789[\"ack\",{Placeholder0},\"text\"]");
        await client.SendBinaryAsync(7, 7);

        Assert.Equal($"461-789[{Placeholder0},\"text\"]", await client.ReceiveTextAnsweringPingsAsync());
        Assert.Equal([7, 7], await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task Text_ack_wraps_the_arguments_in_an_array()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();

        await client.SendTextAsync("42456[\"ack\",1,\"2\",{\"3\":[false]}]");

        Assert.Equal("43456[1,\"2\",{\"3\":[false]}]", await client.ReceiveTextAnsweringPingsAsync());
    }

    [Fact]
    public async Task Server_EmitWithAckAsync_gets_the_clients_binary_ack()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();
        var socket = await server.NextConnectedAsync();

        var ack = socket.EmitWithAckAsync("question", ["text", new byte[] { 1, 2, 3 }], cancellationToken: TestTimeouts.Token());

        Assert.Equal($"451-0[\"question\",\"text\",{Placeholder0}]", await client.ReceiveTextAnsweringPingsAsync());
        Assert.Equal([1, 2, 3], await client.ReceiveBinaryAsync());
        await client.SendTextAsync($"461-0[{Placeholder0},\"answer\"]");
        await client.SendBinaryAsync(9, 8);

        var result = await ack.Limit();
        Assert.Equal(2, result.Arguments.Count);
        Assert.Equal("answer", result.Arguments[1].GetString());
        Assert.Equal([9, 8], Assert.Single(result.Attachments).ToArray());
    }

    [Fact]
    public async Task Server_EmitWithAckAsync_gets_a_text_ack_and_ids_increase()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();
        var socket = await server.NextConnectedAsync();

        for (var id = 0; id < 3; id++)
        {
            var ack = socket.EmitWithAckAsync("question", [id], cancellationToken: TestTimeouts.Token());
            Assert.Equal($"42{id}[\"question\",{id}]", await client.ReceiveTextAnsweringPingsAsync());
            await client.SendTextAsync($"43{id}[\"ok\",{id}]");
            var result = await ack.Limit();
            Assert.Equal(id, result.Arguments[1].GetInt32());
            Assert.Empty(result.Attachments);
        }
    }

    [Fact]
    public async Task Server_EmitWithAckAsync_times_out_and_fails_when_the_client_leaves()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.ConnectedWebSocketAsync();
        var socket = await server.NextConnectedAsync();

        await Assert.ThrowsAsync<TimeoutException>(() => socket.EmitWithAckAsync("question", [], TimeSpan.FromMilliseconds(50), TestTimeouts.Token()));

        var pending = socket.EmitWithAckAsync("question", [], cancellationToken: TestTimeouts.Token());
        await client.SendTextAsync("41");
        await Assert.ThrowsAsync<InvalidOperationException>(() => pending.Limit());
    }

    [Fact]
    public async Task Binary_event_over_EIO4_polling_uses_b_base64_packets()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        using var client = server.Polling();
        await client.ConnectAsync();

        Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostAsync($"451-[\"echo\",{Placeholder0}]\u001ebAQID"));

        Assert.Equal((HttpStatusCode.OK, $"451-[\"echo-back\",{Placeholder0}]\u001ebAQID"), await client.GetAsync());
    }

    [Fact]
    public async Task Binary_event_over_EIO3_base64_polling_uses_b4_packets()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        using var client = server.Polling(protocol: 3, extraQuery: "&b64=1");
        await client.ConnectAsync();

        await client.PostAsync(EngineIO3Payload.Join($"451-[\"echo\",{Placeholder0}]", "b4AQID"));
        var (status, body) = await client.GetAsync();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([$"451-[\"echo-back\",{Placeholder0}]", "b4AQID"], EngineIO3Payload.Split(body));
    }

    [Fact]
    public async Task Binary_event_over_EIO3_xhr2_polling_uses_the_binary_payload_framing()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        using var client = server.Polling(protocol: 3);
        await client.ConnectAsync();
        var text = $"451-[\"echo\",{Placeholder0}]";
        using var content = new ByteArrayContent([.. BinaryRecord(0, Encoding.UTF8.GetBytes(text)), .. BinaryRecord(1, [4, 1, 2, 3])]);
        content.Headers.ContentType = new("application/octet-stream");

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(content)).Status);
        using var response = await client.Http.GetAsync(client.Url, TestTimeouts.Token());
        var body = await response.Content.ReadAsByteArrayAsync(TestTimeouts.Token());

        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(
            [.. BinaryRecord(0, Encoding.UTF8.GetBytes($"451-[\"echo-back\",{Placeholder0}]")), .. BinaryRecord(1, [4, 1, 2, 3])],
            body);
    }

    [Fact]
    public async Task Binary_event_over_EIO3_websocket_has_the_type_byte_first()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.WebSocketAsync(protocol: 3);
        Assert.StartsWith("0{", await client.ReceiveTextAsync());
        Assert.Equal("40", await client.ReceiveTextAsync());

        await client.SendTextAsync($"451-[\"echo\",{Placeholder0}]");
        await client.SendBinaryAsync(4, 1, 2, 3);

        Assert.Equal($"451-[\"echo-back\",{Placeholder0}]", await client.ReceiveTextAsync());
        Assert.Equal([4, 1, 2, 3], await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task Auth_payload_reaches_the_socket()
    {
        await using var server = await SocketIOTestServer.StartAsync();
        await using var client = await server.WebSocketAsync();
        Assert.StartsWith("0{", await client.ReceiveTextAsync());

        await client.SendTextAsync("40{\"token\":\"abc\"}");
        Assert.StartsWith("40{\"sid\":", await client.ReceiveTextAnsweringPingsAsync());

        var socket = await server.NextConnectedAsync();
        Assert.Equal("abc", socket.Auth?.GetProperty("token").GetString());
        Assert.Equal(JsonValueKind.Object, socket.Auth?.ValueKind);
    }

    /// <summary>One record of the EIO3 binary payload framing: type byte, length as digit bytes, 0xFF, data.</summary>
    private static byte[] BinaryRecord(byte type, byte[] data)
        => [type, .. data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture).Select(c => (byte)(c - '0')), 0xff, .. data];
}
