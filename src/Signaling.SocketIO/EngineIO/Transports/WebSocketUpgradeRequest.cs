using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Signaling.SocketIO.EngineIO.Transports;

/// <summary>What <see cref="WebSocketUpgradeRequest.TryParse"/> concluded from the bytes seen so far.</summary>
internal enum UpgradeParseOutcome
{
    /// <summary>A complete, well-formed WebSocket handshake request (RFC 6455 §4.2.1).</summary>
    Upgrade,

    /// <summary>It may still become one: the header block is not complete yet.</summary>
    NeedMore,

    /// <summary>Anything else (another method, HTTP/2, TLS, a malformed or unusual request): the HTTP server's business.</summary>
    NotUpgrade,
}

/// <summary>
/// The first request of a connection, parsed just far enough to recognise a plain WebSocket handshake. Parsing is
/// deliberately strict: whatever is not an ordinary handshake is left to Kestrel's HTTP parser, which answers it
/// (including every error) exactly as it would without us.
/// </summary>
internal sealed class WebSocketUpgradeRequest
{
    /// <summary>Header blocks longer than this are left to Kestrel.</summary>
    public const int MaxHeaderBytes = 8 * 1024;

    private static ReadOnlySpan<byte> Get => "GET "u8;

    private static ReadOnlySpan<byte> EndOfHeaders => "\r\n\r\n"u8;

    private WebSocketUpgradeRequest(string path, string query, string key, string host, string? origin, string? authorization)
    {
        Host = host;
        Path = path;
        QueryString = query;
        Key = key;
        Origin = origin;
        Authorization = authorization;
    }

    /// <summary>The <c>Host</c> header.</summary>
    public string Host { get; }

    /// <summary>The request path, still percent-encoded.</summary>
    public string Path { get; }

    /// <summary>The query string without its <c>?</c>.</summary>
    public string QueryString { get; }

    /// <summary>The <c>Sec-WebSocket-Key</c> header.</summary>
    public string Key { get; }

    /// <summary>The <c>Origin</c> header, if any.</summary>
    public string? Origin { get; }

    /// <summary>The <c>Authorization</c> header, if any.</summary>
    public string? Authorization { get; }

    /// <summary>Recognises a WebSocket handshake at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The connection's first bytes.</param>
    /// <param name="request">The request, when the outcome is <see cref="UpgradeParseOutcome.Upgrade"/>.</param>
    /// <param name="length">The bytes of the request (its header block) when recognised.</param>
    public static UpgradeParseOutcome TryParse(in ReadOnlySequence<byte> buffer, out WebSocketUpgradeRequest? request, out long length)
    {
        request = null;
        length = 0;

        Span<byte> start = stackalloc byte[4];
        var prefix = (int)Math.Min(buffer.Length, start.Length);
        buffer.Slice(0, prefix).CopyTo(start);
        if (!Get[..prefix].SequenceEqual(start[..prefix]))
        {
            return UpgradeParseOutcome.NotUpgrade;
        }

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, EndOfHeaders, advancePastDelimiter: true))
        {
            return buffer.Length > MaxHeaderBytes ? UpgradeParseOutcome.NotUpgrade : UpgradeParseOutcome.NeedMore;
        }

        if (head.Length > MaxHeaderBytes)
        {
            return UpgradeParseOutcome.NotUpgrade;
        }

        var text = Encoding.Latin1.GetString(head);
        request = Parse(text);
        length = reader.Consumed;
        return request is null ? UpgradeParseOutcome.NotUpgrade : UpgradeParseOutcome.Upgrade;
    }

    /// <summary>The <c>Sec-WebSocket-Accept</c> value for <see cref="Key"/>.</summary>
    public string AcceptKey()
    {
        Span<byte> input = stackalloc byte[Key.Length + 36];
        var written = Encoding.ASCII.GetBytes(Key, input);
        written += Encoding.ASCII.GetBytes("258EAFA5-E914-47DA-95CA-C5AB0DC85B11", input[written..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for the accept key; it protects nothing.
        SHA1.HashData(input[..written], hash);
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    private static WebSocketUpgradeRequest? Parse(string head)
    {
        var lines = head.AsSpan();
        var end = lines.IndexOf("\r\n");
        var requestLine = end < 0 ? lines : lines[..end];
        lines = end < 0 ? [] : lines[(end + 2)..];

        // GET <origin-form target> HTTP/1.1: nothing else upgrades to a WebSocket.
        if (requestLine.Length < 14 || !requestLine.EndsWith(" HTTP/1.1", StringComparison.Ordinal))
        {
            return null;
        }

        var target = requestLine[4..^9];
        if (target.Length == 0 || target[0] != '/' || target.ContainsAnyExceptInRange('!', '~') || target.Contains('#'))
        {
            return null;
        }

        string? upgrade = null, connection = null, version = null, key = null, origin = null, authorization = null, host = null;
        while (!lines.IsEmpty)
        {
            end = lines.IndexOf("\r\n");
            var line = end < 0 ? lines : lines[..end];
            lines = end < 0 ? [] : lines[(end + 2)..];
            var colon = line.IndexOf(':');

            // Names are tokens (no folding, no padding); values are visible ASCII, spaces and tabs. Anything else,
            // including non-ASCII text that Kestrel might decode differently, is Kestrel's to judge.
            if (colon <= 0 || !IsToken(line[..colon]) || HasInvalidValueCharacter(line[(colon + 1)..]))
            {
                return null;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t").ToString();

            // Repeated single-value headers are refused: Kestrel would join them ("a,b"), which no check accepts.
            var accepted = name switch
            {
                _ when name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase) => SetOnce(ref upgrade, value),
                _ when name.Equals("Sec-WebSocket-Version", StringComparison.OrdinalIgnoreCase) => SetOnce(ref version, value),
                _ when name.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase) => SetOnce(ref key, value),
                _ when name.Equals("Host", StringComparison.OrdinalIgnoreCase) => SetOnce(ref host, value),
                _ when name.Equals("Origin", StringComparison.OrdinalIgnoreCase) => SetOnce(ref origin, value),
                _ when name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) => SetOnce(ref authorization, value),
                _ when name.Equals("Connection", StringComparison.OrdinalIgnoreCase) => Append(ref connection, value),

                // A handshake has no body; requests with one are Kestrel's to judge.
                _ => !(name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                    || name.Equals("Expect", StringComparison.OrdinalIgnoreCase)),
            };
            if (!accepted)
            {
                return null;
            }
        }

        if (host is null || upgrade is null || !upgrade.Equals("websocket", StringComparison.OrdinalIgnoreCase)
            || connection is null || !HasToken(connection, "upgrade") || version != "13" || key is null || !IsValidKey(key))
        {
            return null;
        }

        var question = target.IndexOf('?');
        var path = question < 0 ? target : target[..question];
        var query = question < 0 ? [] : target[(question + 1)..];
        return new WebSocketUpgradeRequest(path.ToString(), query.ToString(), key, host, origin, authorization);
    }

    private static bool SetOnce(ref string? field, string value)
    {
        if (field is not null)
        {
            return false;
        }

        field = value;
        return true;
    }

    private static bool Append(ref string? list, string value)
    {
        list = list is null ? value : $"{list},{value}";
        return true;
    }

    private static bool HasToken(string list, string token)
    {
        foreach (var range in list.AsSpan().Split(','))
        {
            if (list.AsSpan()[range].Trim(" \t").Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out var count) && count == 16;
    }

    private static bool HasInvalidValueCharacter(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if ((c < 0x20 && c != '\t') || c > 0x7E)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An RFC 9110 token: the characters a header name may have.</summary>
    private static bool IsToken(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                return false;
            }
        }

        return true;
    }
}
