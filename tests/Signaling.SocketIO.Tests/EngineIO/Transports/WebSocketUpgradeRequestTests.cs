using System.Buffers;
using System.Text;
using Signaling.SocketIO.EngineIO.Transports;

namespace Signaling.SocketIO.Tests.EngineIO.Transports;

/// <summary>Which first requests of a connection are recognised as WebSocket handshakes (everything else goes to Kestrel).</summary>
public class WebSocketUpgradeRequestTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private static string Handshake(string requestLine = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1", string? extra = null, string? without = null)
    {
        var headers = new List<string>
        {
            "Host: 127.0.0.1:3000",
            "Upgrade: websocket",
            "Connection: Upgrade",
            $"Sec-WebSocket-Key: {Key}",
            "Sec-WebSocket-Version: 13",
        };
        headers.RemoveAll(h => without is not null && h.StartsWith(without + ":", StringComparison.Ordinal));
        if (extra is not null)
        {
            headers.Add(extra);
        }

        return requestLine + "\r\n" + string.Join("\r\n", headers) + "\r\n\r\n";
    }

    private static UpgradeParseOutcome Parse(string text, out WebSocketUpgradeRequest? request, out long length)
        => WebSocketUpgradeRequest.TryParse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), out request, out length);

    [Fact]
    public void A_plain_handshake_is_recognised_with_its_path_query_and_headers()
    {
        var text = Handshake(extra: "Origin: https://app.example") + "\x81\x85trailing frame bytes";
        Assert.Equal(UpgradeParseOutcome.Upgrade, Parse(text, out var request, out var length));
        Assert.Equal("/socket.io/", request!.Path);
        Assert.Equal("EIO=4&transport=websocket", request.QueryString);
        Assert.Equal("https://app.example", request.Origin);
        Assert.Equal("127.0.0.1:3000", request.Host);
        Assert.Null(request.Authorization);
        Assert.Equal(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4, length);
    }

    [Fact]
    public void The_accept_key_is_the_one_of_RFC_6455()
        => Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", (Parse(Handshake(), out var request, out _), request!).Item2.AcceptKey());

    [Theory]
    [InlineData("connection: keep-alive, Upgrade", "Connection")]
    [InlineData("UPGRADE: WebSocket", "Upgrade")]
    [InlineData("sec-websocket-version:13", "Sec-WebSocket-Version")]
    public void Header_names_and_values_are_matched_as_HTTP_says(string header, string replaces)
        => Assert.Equal(UpgradeParseOutcome.Upgrade, Parse(Handshake(extra: header, without: replaces), out _, out _));

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("GET")]
    [InlineData("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n")]
    public void An_incomplete_header_block_that_may_still_be_a_handshake_needs_more(string text)
        => Assert.Equal(UpgradeParseOutcome.NeedMore, Parse(text, out _, out _));

    [Theory]
    [InlineData("POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("\x16\x03\x01\x02\x00\x01")]
    [InlineData("GE ")]
    [InlineData("get /socket.io/ HTTP/1.1\r\n")]
    public void Other_methods_HTTP2_and_TLS_are_refused_from_their_first_bytes(string text)
        => Assert.Equal(UpgradeParseOutcome.NotUpgrade, Parse(text, out _, out _));

    public static TheoryData<string> NotHandshakes => new()
    {
        Handshake("GET /socket.io/ HTTP/1.0"),
        Handshake("GET HTTP/1.1"),
        Handshake("GET  HTTP/1.1"),
        Handshake("GET http://host/socket.io/ HTTP/1.1"),
        Handshake("GET /socket.io/ x HTTP/1.1"),
        Handshake(without: "Host"),
        Handshake(without: "Upgrade"),
        Handshake(without: "Connection"),
        Handshake(without: "Sec-WebSocket-Key"),
        Handshake(without: "Sec-WebSocket-Version"),
        Handshake(extra: "Upgrade: websocket"),
        Handshake(extra: "Sec-WebSocket-Key: " + Key),
        Handshake(extra: "Upgrade: h2c", without: "Upgrade"),
        Handshake(extra: "Connection: keep-alive", without: "Connection"),
        Handshake(extra: "Sec-WebSocket-Version: 8", without: "Sec-WebSocket-Version"),
        Handshake(extra: "Sec-WebSocket-Key: short", without: "Sec-WebSocket-Key"),
        Handshake(extra: "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=!", without: "Sec-WebSocket-Key"),
        Handshake(extra: "Content-Length: 5"),
        Handshake(extra: "Transfer-Encoding: chunked"),
        Handshake(extra: "Expect: 100-continue"),
        Handshake(extra: " folded: line"),
        Handshake(extra: "Bad Name : x"),
        Handshake(extra: ": no name"),
        Handshake(extra: "no colon"),
        Handshake(extra: "X-Control: a\x01b"),
        Handshake(extra: "X-Text: caf\u00e9"),
        Handshake(extra: "Bad(Name): x"),
        Handshake(extra: "Host: second"),
        Handshake(extra: "Origin: https://a.example\r\nOrigin: https://b.example"),
        Handshake(extra: "Authorization: Bearer a\r\nAuthorization: Bearer b"),
        Handshake("GET /socket.io/?EIO=4&x=\x01 HTTP/1.1"),
        Handshake("GET /socket.io/?EIO=4&x=\x7f HTTP/1.1"),
        Handshake("GET /socket.io/?EIO=4&x=\u00e9 HTTP/1.1"),
        Handshake("GET /socket.io/?EIO=4&x=\n HTTP/1.1"),
        Handshake("GET /socket.io/#fragment HTTP/1.1"),
        Handshake(extra: "X-Big: " + new string('a', WebSocketUpgradeRequest.MaxHeaderBytes)),
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nX: " + new string('a', WebSocketUpgradeRequest.MaxHeaderBytes),
    };

    [Theory]
    [MemberData(nameof(NotHandshakes))]
    public void Anything_unusual_is_left_to_Kestrel(string text)
        => Assert.Equal(UpgradeParseOutcome.NotUpgrade, Parse(text, out var request, out _));

    [Fact]
    public void A_handshake_split_across_segments_is_recognised()
    {
        var bytes = Encoding.Latin1.GetBytes(Handshake());
        var first = new Segment(bytes.AsMemory(0, 7));
        var last = first.Append(bytes.AsMemory(7, 30)).Append(bytes.AsMemory(37));
        var sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        Assert.Equal(UpgradeParseOutcome.Upgrade, WebSocketUpgradeRequest.TryParse(sequence, out var request, out var length));
        Assert.Equal(bytes.Length, length);
        Assert.Equal("/socket.io/", request!.Path);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
