using System.Buffers;
using System.Text;
using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.Tests.EngineIO.Protocol;

public class EngineIO3CodecTests
{
    private static readonly EngineIO3Codec Codec = EngineIO3Codec.Instance;

    public static TheoryData<string, string[]> ValidTextPayloads => new()
    {
        { "6:4hello", ["4:hello"] },
        { "1:2", ["2:"] },
        { "6:4hello6:4world", ["4:hello", "4:world"] },

        // Lengths count UTF-16 code units: "é😀" is 3 of them.
        { "4:4é😀", ["4:é😀"] },
        { "6:b4AQID", ["bin:010203"] },
        { "2:4a6:b4AQID", ["4:a", "bin:010203"] },
    };

    [Theory]
    [MemberData(nameof(ValidTextPayloads))]
    public void Decodes_text_payloads(string body, string[] expected)
    {
        var packets = new List<EnginePacket>();
        Assert.True(Codec.TryDecodePayload(Encoding.UTF8.GetBytes(body), false, packets, out var error), error);
        Assert.Equal(expected, packets.Select(EngineIO4CodecTests.Describe));
    }

    [Theory]
    [InlineData("")]
    [InlineData("4hello")]
    [InlineData("9:4hello")]
    [InlineData("0:")]
    [InlineData(":4hello")]
    [InlineData("x:4hello")]
    [InlineData("2:9x")]
    [InlineData("6:b4!!!!")]
    [InlineData("6:b5AQID")]
    [InlineData("99999999999999999999:4")]
    public void Refuses_malformed_text_payloads(string body)
    {
        var packets = new List<EnginePacket>();
        Assert.False(Codec.TryDecodePayload(Encoding.UTF8.GetBytes(body), false, packets, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Decodes_the_xhr2_binary_framing()
    {
        // string packet "4hi" (3 bytes), then binary packet type 4 + [1,2,3] (4 bytes)
        byte[] body = [0, 3, 0xff, (byte)'4', (byte)'h', (byte)'i', 1, 4, 0xff, 4, 1, 2, 3];
        var packets = new List<EnginePacket>();
        Assert.True(Codec.TryDecodePayload(body, true, packets, out var error), error);
        Assert.Equal(["4:hi", "bin:010203"], packets.Select(EngineIO4CodecTests.Describe));
    }

    [Fact]
    public void Binary_framing_lengths_count_bytes()
    {
        var text = "4é"u8.ToArray(); // 3 bytes
        byte[] body = [0, 3, 0xff, .. text];
        var packets = new List<EnginePacket>();
        Assert.True(Codec.TryDecodePayload(body, true, packets, out var error), error);
        Assert.Equal("4:é", EngineIO4CodecTests.Describe(packets[0]));
    }

    [Theory]
    [InlineData(new byte[] { 0, 3, 0xff, (byte)'4' })]
    [InlineData(new byte[] { 0, 0xff, (byte)'4' })]
    [InlineData(new byte[] { 2, 1, 0xff, (byte)'4' })]
    [InlineData(new byte[] { 0, 12, 0xff, (byte)'4' })]
    [InlineData(new byte[] { 1, 1, 0xff, 2 })]
    [InlineData(new byte[] { 0, 1, 1, 1 })]
    public void Refuses_malformed_binary_framing(byte[] body)
        => Assert.False(Codec.TryDecodePayload(body, true, [], out _));

    [Fact]
    public void Encodes_text_payloads_with_utf16_lengths_and_base64_binary()
    {
        var output = new ArrayBufferWriter<byte>();
        var type = Codec.EncodePayload(
            [
                new OutboundMessage(EngineFrame.Text("0{\"sid\":\"x\"}"u8.ToArray())),
                new OutboundMessage(EngineFrame.Text(Encoding.UTF8.GetBytes("42[\"é😀\"]"))),
                new OutboundMessage(EngineFrame.Text("451-[\"b\",{\"_placeholder\":true,\"num\":0}]"u8.ToArray()), [new byte[] { 1, 2, 3 }]),
            ],
            supportsBinary: false,
            output);
        Assert.Equal("text/plain; charset=UTF-8", type);
        Assert.Equal("12:0{\"sid\":\"x\"}9:42[\"é😀\"]39:451-[\"b\",{\"_placeholder\":true,\"num\":0}]6:b4AQID", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Encodes_binary_framing_when_the_client_supports_binary()
    {
        var output = new ArrayBufferWriter<byte>();
        var type = Codec.EncodePayload(
            [new OutboundMessage(EngineFrame.Text("4é"u8.ToArray()), [new byte[] { 9 }])],
            supportsBinary: true,
            output);
        Assert.Equal("application/octet-stream", type);
        Assert.Equal(new byte[] { 0, 3, 0xff, (byte)'4', 0xc3, 0xa9, 1, 2, 0xff, 4, 9 }, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Text_only_payloads_stay_text_even_when_binary_is_supported()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal("text/plain; charset=UTF-8", Codec.EncodePayload([new OutboundMessage(EngineFrame.Control(EnginePacketType.Pong))], true, output));
        Assert.Equal("1:3", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Websocket_binary_frames_carry_a_type_byte()
    {
        Assert.Equal(new byte[] { 4, 7 }, Codec.EncodeBinaryFrame(new byte[] { 7 }).ToArray());
        Assert.True(Codec.TryDecodeFrame(new byte[] { 4, 7, 8 }, true, out var packet, out _));
        Assert.Equal("bin:0708", EngineIO4CodecTests.Describe(packet));
        Assert.False(Codec.TryDecodeFrame(new byte[] { 2, 7 }, true, out _, out _));
        Assert.False(Codec.TryDecodeFrame(Array.Empty<byte>(), true, out _, out _));
    }
}
