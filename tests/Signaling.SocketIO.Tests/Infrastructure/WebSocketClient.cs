using System.Net.WebSockets;
using System.Text;

namespace Signaling.SocketIO.Tests.Infrastructure;

/// <summary>A raw Engine.IO WebSocket client: whole messages in and out, each await time-limited.</summary>
internal sealed class WebSocketClient : IAsyncDisposable
{
    private WebSocketClient(ClientWebSocket socket)
    {
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    public static async Task<WebSocketClient> ConnectAsync(Uri httpUri)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(ToWebSocketUri(httpUri), TestTimeouts.Token());
        return new WebSocketClient(socket);
    }

    /// <summary>Tries an upgrade and returns the HTTP status of a refusal (or 101).</summary>
    public static async Task<int> TryConnectAsync(Uri httpUri)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(ToWebSocketUri(httpUri), TestTimeouts.Token());
        }
        catch (WebSocketException)
        {
        }

        return (int)socket.HttpStatusCode;
    }

    public Task SendTextAsync(string text) => Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, TestTimeouts.Token());

    public Task SendBinaryAsync(params byte[] data) => Socket.SendAsync(data, WebSocketMessageType.Binary, true, TestTimeouts.Token());

    /// <summary>The next whole message.</summary>
    public async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(TimeSpan? timeout = null)
    {
        var token = TestTimeouts.Token(timeout);
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer, token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, []);
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    public async Task<string> ReceiveTextAsync()
    {
        var (type, data) = await ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(data);
    }

    /// <summary>The next text message that is not an Engine.IO 4 ping; pings are answered, as a client would.</summary>
    public async Task<string> ReceiveTextAnsweringPingsAsync()
    {
        while (true)
        {
            var text = await ReceiveTextAsync();
            if (text != "2")
            {
                return text;
            }

            await SendTextAsync("3");
        }
    }

    public async Task<byte[]> ReceiveBinaryAsync()
    {
        var (type, data) = await ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Binary, type);
        return data;
    }

    /// <summary>
    /// Reads until the server ends the connection; returns the close status it sent, or null when it dropped the
    /// connection without a close frame. Messages before the close are skipped.
    /// </summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        var token = TestTimeouts.Token(timeout);
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer, token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return result.CloseStatus;
                }
            }
        }
        catch (WebSocketException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, TestTimeouts.Token(TimeSpan.FromSeconds(2)));
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        Socket.Dispose();
    }

    private static Uri ToWebSocketUri(Uri httpUri) => new UriBuilder(httpUri) { Scheme = httpUri.Scheme == "https" ? "wss" : "ws" }.Uri;
}
