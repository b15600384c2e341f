using Signaling.Rooms.Redis;
using Signaling.Rooms.Relay;

namespace Signaling.Rooms.Tests.Redis;

public sealed class RelayEnvelopeTests
{
    [Fact]
    public void Encodes_version_lengths_names_and_the_argument_bytes()
    {
        var bytes = RelayEnvelope.Encode("B", new RelayMessage("leave", "\"A\""u8.ToArray()));
        Assert.Equal([1, 1, (byte)'B', 5, .. "leave"u8, .. "\"A\""u8], bytes);
    }

    [Fact]
    public void Lengths_of_128_bytes_and_more_take_two_bytes()
    {
        var to = new string('p', 300);
        var bytes = RelayEnvelope.Encode(to, new RelayMessage("exchange", ReadOnlyMemory<byte>.Empty));
        Assert.Equal([1, 0xAC, 0x02], bytes[..3]);
        Assert.True(RelayEnvelope.TryDecode(bytes, out var decoded, out var message, out _));
        Assert.Equal(to, decoded);
        Assert.Equal("exchange", message.Event);
        Assert.True(message.Argument.IsEmpty);
    }

    [Theory]
    [InlineData("B", "exchange", "{\"to\":\"B\",\"from\":\"A\",\"sdp\":\"v=0\"}")]
    [InlineData("peer with spaces", "leave", "\"A\"")]
    [InlineData("ünï-🎥", "évènement", "[1,2,3]")]
    public void Round_trips(string to, string eventName, string argument)
    {
        var message = new RelayMessage(eventName, System.Text.Encoding.UTF8.GetBytes(argument));
        Assert.True(RelayEnvelope.TryDecode(RelayEnvelope.Encode(to, message), out var decodedTo, out var decoded, out var error), error);
        Assert.Equal(to, decodedTo);
        Assert.Equal(eventName, decoded.Event);
        Assert.Equal(argument, System.Text.Encoding.UTF8.GetString(decoded.Argument.Span));
    }

    public static TheoryData<byte[], string> Malformed => new()
    {
        { [], "empty envelope" },
        { [2, 1, (byte)'B', 5, .. "leave"u8], "unknown envelope version 2" },
        { [0, 1, (byte)'B', 5, .. "leave"u8], "unknown envelope version 0" },
        { [1], "bad length" },
        { [1, 0, 5, .. "leave"u8], "bad length" },
        { [1, 5, (byte)'B'], "truncated envelope" },
        { [1, 1, (byte)'B'], "bad length" },
        { [1, 1, (byte)'B', 0], "bad length" },
        { [1, 1, (byte)'B', 9, .. "leave"u8], "truncated envelope" },
        { [1, 0x80, 0x80, 0x80, 0x01], "bad length" },
        { [1, 0x81, 0x20, (byte)'B'], "bad length" }, // 4097 bytes: over the peer id limit
        { [1, 1, 0xFF, 5, .. "leave"u8], "invalid UTF-8" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Rejects_malformed_envelopes_with_a_reason(byte[] envelope, string reason)
    {
        Assert.False(RelayEnvelope.TryDecode(envelope, out _, out _, out var error));
        Assert.Equal(reason, error);
    }

    [Fact]
    public void Refuses_to_encode_empty_or_oversized_names()
    {
        Assert.Throws<ArgumentException>(() => RelayEnvelope.Encode("", new RelayMessage("leave", default)));
        Assert.Throws<ArgumentException>(() => RelayEnvelope.Encode(new string('p', 4097), new RelayMessage("leave", default)));
        Assert.Throws<ArgumentException>(() => RelayEnvelope.Encode("B", new RelayMessage(new string('e', 257), default)));
    }
}
