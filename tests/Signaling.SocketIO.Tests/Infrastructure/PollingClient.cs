using System.Net;
using System.Text;
using System.Text.Json;

namespace Signaling.SocketIO.Tests.Infrastructure;

/// <summary>A raw Engine.IO long-polling client: every request is a plain HttpClient call the test can inspect.</summary>
internal sealed class PollingClient(HttpClient http, int protocol, string? extraQuery) : IDisposable
{
    public HttpClient Http { get; } = http;

    public string? Sid { get; private set; }

    public string Url => $"socket.io/?EIO={protocol}&transport=polling{extraQuery}{(Sid is null ? string.Empty : "&sid=" + Sid)}";

    /// <summary>The handshake: returns the open packet's JSON and the whole body.</summary>
    public async Task<(JsonElement Open, string Body)> HandshakeAsync()
    {
        var (status, body) = await GetAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        var packets = protocol == 3 ? EngineIO3Payload.Split(body) : body.Split('\u001e');
        Assert.StartsWith("0{", packets[0]);
        var open = JsonDocument.Parse(packets[0][1..]).RootElement.Clone();
        Sid = open.GetProperty("sid").GetString();
        return (open, body);
    }

    /// <summary>Handshake, then joins <c>/</c> (EIO4 sends <c>40</c>; EIO3 was joined by the server) and reads the CONNECT reply.</summary>
    public async Task ConnectAsync()
    {
        var (_, body) = await HandshakeAsync();
        if (protocol == 3)
        {
            Assert.Contains("2:40", body);
            return;
        }

        Assert.Equal((HttpStatusCode.OK, "ok"), await PostAsync("40"));
        var (status, reply) = await GetAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        var packets = reply.Split('\u001e');
        Assert.StartsWith("40{\"sid\":", packets[0]);
        if (packets.Contains("2"))
        {
            // A slow machine let the first ping in with the CONNECT reply: answer it.
            Assert.Equal((HttpStatusCode.OK, "ok"), await PostAsync("3"));
        }
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync()
    {
        using var response = await Http.GetAsync(Url, TestTimeouts.Token());
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestTimeouts.Token()));
    }

    public async Task<(HttpStatusCode Status, string Body)> PostAsync(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "text/plain");
        return await PostAsync(content);
    }

    public async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpContent content)
    {
        using var response = await Http.PostAsync(Url, content, TestTimeouts.Token());
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestTimeouts.Token()));
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>Engine.IO 3 text payloads: <c>&lt;length&gt;:&lt;packet&gt;</c>, the length in UTF-16 code units.</summary>
internal static class EngineIO3Payload
{
    public static string[] Split(string body)
    {
        var packets = new List<string>();
        var position = 0;
        while (position < body.Length)
        {
            var colon = body.IndexOf(':', position);
            var length = int.Parse(body.AsSpan(position, colon - position), System.Globalization.CultureInfo.InvariantCulture);
            packets.Add(body.Substring(colon + 1, length));
            position = colon + 1 + length;
        }

        return [.. packets];
    }

    public static string Join(params string[] packets) => string.Concat(packets.Select(p => $"{p.Length}:{p}"));
}
