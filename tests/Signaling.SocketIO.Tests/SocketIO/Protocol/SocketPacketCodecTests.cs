using System.Buffers;
using System.Text;
using System.Text.Json;
using Signaling.SocketIO.SocketIO.Protocol;

namespace Signaling.SocketIO.Tests.SocketIO.Protocol;

public class SocketPacketCodecTests
{
    public static TheoryData<string, SocketPacketType, string, long, int, string> Headers => new()
    {
        { "0", SocketPacketType.Connect, "/", -1, 0, "" },
        { "0{\"token\":\"x\"}", SocketPacketType.Connect, "/", -1, 0, "{\"token\":\"x\"}" },
        { "0/admin,", SocketPacketType.Connect, "/admin", -1, 0, "" },
        { "0/admin,{\"a\":1}", SocketPacketType.Connect, "/admin", -1, 0, "{\"a\":1}" },
        { "0/admin?x=1", SocketPacketType.Connect, "/admin?x=1", -1, 0, "" },
        { "1", SocketPacketType.Disconnect, "/", -1, 0, "" },
        { "1/admin,", SocketPacketType.Disconnect, "/admin", -1, 0, "" },
        { "2[\"join\",\"r\"]", SocketPacketType.Event, "/", -1, 0, "[\"join\",\"r\"]" },
        { "212[\"join\",\"r\"]", SocketPacketType.Event, "/", 12, 0, "[\"join\",\"r\"]" },
        { "2/admin,7[\"x\"]", SocketPacketType.Event, "/admin", 7, 0, "[\"x\"]" },
        { "312[[\"a\",\"b\"]]", SocketPacketType.Ack, "/", 12, 0, "[[\"a\",\"b\"]]" },
        { "4{\"message\":\"no\"}", SocketPacketType.ConnectError, "/", -1, 0, "{\"message\":\"no\"}" },
        { "51-[\"b\",{\"_placeholder\":true,\"num\":0}]", SocketPacketType.BinaryEvent, "/", -1, 1, "[\"b\",{\"_placeholder\":true,\"num\":0}]" },
        { "52-/admin,3[\"b\",{},{}]", SocketPacketType.BinaryEvent, "/admin", 3, 2, "[\"b\",{},{}]" },
        { "61-4[{\"_placeholder\":true,\"num\":0}]", SocketPacketType.BinaryAck, "/", 4, 1, "[{\"_placeholder\":true,\"num\":0}]" },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void Parses_headers(string packet, SocketPacketType type, string nsp, long ackId, int attachments, string payload)
    {
        var bytes = Encoding.UTF8.GetBytes(packet);
        Assert.True(SocketPacketCodec.TryParseHeader(bytes, out var header, out var error), error);
        Assert.Equal(type, header.Type);
        Assert.Equal(nsp, header.Namespace);
        Assert.Equal(ackId, header.AckId);
        Assert.Equal(attachments, header.Attachments);
        Assert.Equal(payload, Encoding.UTF8.GetString(bytes.AsSpan(header.PayloadOffset)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("x[]")]
    [InlineData("5[\"b\"]")]
    [InlineData("5-[\"b\"]")]
    [InlineData("5a-[\"b\"]")]
    [InlineData("599999-[\"b\"]")]
    [InlineData("51")]
    [InlineData("21234567890123456[\"x\"]")]
    public void Refuses_malformed_headers(string packet)
        => Assert.False(SocketPacketCodec.TryParseHeader(Encoding.UTF8.GetBytes(packet), out _, out _));

    [Theory]
    [InlineData(SocketPacketType.Connect, null, true)]
    [InlineData(SocketPacketType.Connect, "{}", true)]
    [InlineData(SocketPacketType.Connect, "[]", false)]
    [InlineData(SocketPacketType.Connect, "\"x\"", false)]
    [InlineData(SocketPacketType.Disconnect, null, true)]
    [InlineData(SocketPacketType.Disconnect, "{}", false)]
    [InlineData(SocketPacketType.Event, "[\"a\"]", true)]
    [InlineData(SocketPacketType.Event, "[\"a\",1,{}]", true)]
    [InlineData(SocketPacketType.Event, "[]", false)]
    [InlineData(SocketPacketType.Event, "[{}]", false)]
    [InlineData(SocketPacketType.Event, "{}", false)]
    [InlineData(SocketPacketType.Event, null, false)]
    [InlineData(SocketPacketType.Ack, "[]", true)]
    [InlineData(SocketPacketType.Ack, "{}", false)]
    [InlineData(SocketPacketType.Ack, null, false)]
    public void Checks_payload_shapes(SocketPacketType type, string? json, bool valid)
    {
        using var document = json is null ? null : JsonDocument.Parse(json);
        Assert.Equal(valid, SocketPacketCodec.IsPayloadValid(type, document?.RootElement));
    }

    [Theory]
    [InlineData(SocketPacketType.Event, "/", -1, 0, "42")]
    [InlineData(SocketPacketType.Ack, "/", 15, 0, "4315")]
    [InlineData(SocketPacketType.Connect, "/admin", -1, 0, "40/admin,")]
    [InlineData(SocketPacketType.BinaryEvent, "/", -1, 2, "452-")]
    [InlineData(SocketPacketType.BinaryAck, "/x", 3, 1, "461-/x,3")]
    public void Writes_heads(SocketPacketType type, string nsp, long ackId, int attachments, string expected)
    {
        var output = new ArrayBufferWriter<byte>();
        SocketPacketCodec.WriteHead(output, type, nsp, ackId, attachments);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Ack_arguments_are_wrapped_once_more()
    {
        var packet = SocketPacketWriter.Ack("/", 7, [new[] { "a", "b" }], new JsonSerializerOptions());
        Assert.Equal("437[[\"a\",\"b\"]]", Encoding.UTF8.GetString(packet.Frame.Payload.Span));
        Assert.Null(packet.Attachments);
    }

    [Fact]
    public void Binary_arguments_become_placeholders_and_attachments()
    {
        var packet = SocketPacketWriter.Event("/", "file", [new byte[] { 1 }, "name", new byte[] { 2 }], -1, new JsonSerializerOptions());
        Assert.Equal("452-[\"file\",{\"_placeholder\":true,\"num\":0},\"name\",{\"_placeholder\":true,\"num\":1}]", Encoding.UTF8.GetString(packet.Frame.Payload.Span));
        Assert.Equal([[1], [2]], packet.Attachments!.Select(a => a.ToArray()));
    }

    [Fact]
    public void Null_and_empty_arrays_are_not_binary()
    {
        var packet = SocketPacketWriter.Event("/", "x", [null, Array.Empty<string>()], -1, new JsonSerializerOptions());
        Assert.Equal("42[\"x\",null,[]]", Encoding.UTF8.GetString(packet.Frame.Payload.Span));
        Assert.Null(packet.Attachments);
    }
}
