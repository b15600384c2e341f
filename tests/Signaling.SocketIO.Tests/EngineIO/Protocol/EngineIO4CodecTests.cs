using System.Buffers;
using System.Text;
using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.Tests.EngineIO.Protocol;

public class EngineIO4CodecTests
{
    private static readonly EngineIO4Codec Codec = EngineIO4Codec.Instance;

    public static TheoryData<string, string[]> ValidPayloads => new()
    {
        { "4hello", ["4:hello"] },
        { "2", ["2:"] },
        { "4hello\u001e4world", ["4:hello", "4:world"] },
        { "4é😀\u001e3", ["4:é😀", "3:"] },
        { "bAQID", ["bin:010203"] },
        { "4a\u001ebAQID\u001e4b", ["4:a", "bin:010203", "4:b"] },
        { "6", ["6:"] },
        { "1", ["1:"] },
    };

    [Theory]
    [MemberData(nameof(ValidPayloads))]
    public void Decodes_payloads(string body, string[] expected)
    {
        var packets = new List<EnginePacket>();
        Assert.True(Codec.TryDecodePayload(Encoding.UTF8.GetBytes(body), false, packets, out var error), error);
        Assert.Equal(expected, packets.Select(Describe));
    }

    [Theory]
    [InlineData("")]
    [InlineData("7oops")]
    [InlineData("x")]
    [InlineData("4a\u001e")]
    [InlineData("4a\u001e\u001e4b")]
    [InlineData("b!!notbase64")]
    public void Refuses_malformed_payloads(string body)
    {
        var packets = new List<EnginePacket>();
        Assert.False(Codec.TryDecodePayload(Encoding.UTF8.GetBytes(body), false, packets, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Encodes_text_and_binary_joined_by_record_separator()
    {
        var output = new ArrayBufferWriter<byte>();
        var type = Codec.EncodePayload(
            [
                new OutboundMessage(EngineFrame.Text("40"u8.ToArray())),
                new OutboundMessage(EngineFrame.Text("451-[\"x\",{\"_placeholder\":true,\"num\":0}]"u8.ToArray()), [new byte[] { 1, 2, 3 }]),
                new OutboundMessage(EngineFrame.Control(EnginePacketType.Ping)),
            ],
            supportsBinary: true,
            output);
        Assert.Equal("text/plain; charset=UTF-8", type);
        Assert.Equal("40\u001e451-[\"x\",{\"_placeholder\":true,\"num\":0}]\u001ebAQID\u001e2", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("4hi", false, "4:hi")]
    [InlineData("2probe", false, "2:probe")]
    public void Decodes_text_frames(string frame, bool binary, string expected)
    {
        Assert.True(Codec.TryDecodeFrame(Encoding.UTF8.GetBytes(frame), binary, out var packet, out _));
        Assert.Equal(expected, Describe(packet));
    }

    [Fact]
    public void Binary_frames_are_messages_without_a_type_byte()
    {
        Assert.True(Codec.TryDecodeFrame(new byte[] { 1, 2, 3 }, true, out var packet, out _));
        Assert.Equal("bin:010203", Describe(packet));
        Assert.Equal(new byte[] { 1, 2, 3 }, Codec.EncodeBinaryFrame(new byte[] { 1, 2, 3 }).ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("9")]
    [InlineData("hello")]
    public void Refuses_malformed_text_frames(string frame)
        => Assert.False(Codec.TryDecodeFrame(Encoding.UTF8.GetBytes(frame), false, out _, out _));

    internal static string Describe(EnginePacket packet)
        => packet.IsBinary ? "bin:" + Convert.ToHexString(packet.Data.Span).ToLowerInvariant() : $"{(int)packet.Type}:{Encoding.UTF8.GetString(packet.Data.Span)}";
}
