using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.EngineIO.Transports;

/// <summary>
/// Moves Engine.IO packets over one WebSocket: a receive loop that waits with zero-byte reads (an idle
/// connection holds no buffer) and a writer loop that is the session queue's only reader.
/// </summary>
internal sealed partial class WebSocketTransport(WebSocket socket, EngineSession session, ILogger logger)
{
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);
    private static readonly byte[] ProbeRequest = "2probe"u8.ToArray();
    private static readonly byte[] ProbeResponse = "3probe"u8.ToArray();

    private const string MessageTooBig = "message too big";

    private readonly int _maxPayload = session.Server.Options.MaxPayload;

    /// <summary>Serves a session that was opened on this WebSocket.</summary>
    public async Task RunAsync()
    {
        var time = session.Server.Time;
        var receive = RunReceiveLoopAsync(CancellationToken.None);
        var writer = RunWriterAsync();

        // Once the session is closed the writer flushes what is queued and sends the close frame. A client that
        // stopped reading would block it in SendAsync forever (TCP keeps probing a zero window), so it gets a
        // grace period and then the connection is dropped.
        await Task.WhenAny(writer, session.Closed);
        if (await Task.WhenAny(writer, Task.Delay(CloseGrace, time)) != writer)
        {
            socket.Abort();
        }

        await writer;

        // Give the client a moment to answer the close frame, then drop the connection. All of this stays inside
        // the request, before the socket is disposed.
        if (await Task.WhenAny(receive, Task.Delay(CloseGrace, time)) != receive)
        {
            socket.Abort();
        }

        await receive;
    }

    /// <summary>Serves the upgrade of a polling session: probe, upgrade packet, then the session itself.</summary>
    public async Task RunUpgradeAsync()
    {
        using (var timeout = new CancellationTokenSource(session.Server.Options.UpgradeTimeout, session.Server.Time))
        {
            var upgraded = false;
            try
            {
                upgraded = await ProbeAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }

            if (!upgraded)
            {
                session.AbortUpgrade();
                Log.UpgradeFailed(logger, session.Id);
                socket.Abort();
                return;
            }
        }

        await RunAsync();
    }

    private async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = await ReadControlAsync(cancellationToken);
        if (probe is null || !probe.AsSpan().SequenceEqual(ProbeRequest) || !session.TryBeginUpgrade())
        {
            return false;
        }

        await socket.SendAsync(ProbeResponse, WebSocketMessageType.Text, true, cancellationToken);
        var upgrade = await ReadControlAsync(cancellationToken);
        return upgrade is [(byte)'5'] && session.CompleteUpgrade();
    }

    private async Task<byte[]?> ReadControlAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[16];
        var result = await socket.ReceiveAsync(buffer, cancellationToken);
        return result.MessageType == WebSocketMessageType.Text && result.EndOfMessage ? buffer[..result.Count] : null;
    }

    private async Task RunReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var reason = "transport close";
        try
        {
            while (!session.IsClosed)
            {
                var peek = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
                if (peek.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                var buffer = ArrayPool<byte>.Shared.Rent(4096);
                try
                {
                    // The zero-byte read consumed an empty message whole (EndOfMessage set): it is decoded like any other.
                    var count = 0;
                    var result = peek;
                    while (!result.EndOfMessage)
                    {
                        // Reads at most one byte past the limit, checked after every fragment: a message that never
                        // ends must not be buffered (or waited for) beyond maxPayload.
                        var limit = Math.Min(buffer.Length, _maxPayload + 1);
                        if (count == limit)
                        {
                            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _maxPayload + 1));
                            buffer.AsSpan(0, count).CopyTo(larger);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                            limit = Math.Min(buffer.Length, _maxPayload + 1);
                        }

                        result = await socket.ReceiveAsync(buffer.AsMemory(count, limit - count), cancellationToken);
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            return;
                        }

                        count += result.Count;
                        if (count > _maxPayload)
                        {
                            reason = MessageTooBig;
                            return;
                        }
                    }

                    var isBinary = result.MessageType == WebSocketMessageType.Binary;
                    if (!session.Codec.TryDecodeFrame(buffer.AsMemory(0, count), isBinary, out var packet, out var error))
                    {
                        Log.MalformedFrame(logger, session.Id, error!);
                        session.Server.Metrics.Error("parse error");
                        reason = "parse error";
                        return;
                    }

                    if (!await session.ReceiveAsync(packet))
                    {
                        return;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (WebSocketException)
        {
            reason = "transport error";
        }
        catch (OperationCanceledException)
        {
            reason = "transport error";
        }
        catch (IOException)
        {
            reason = "transport error";
        }
        finally
        {
            session.Close(reason);
        }
    }

    private async Task RunWriterAsync()
    {
        var queue = session.Queue;
        var codec = session.Codec;
        try
        {
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var message))
                {
                    var frame = message.Frame;
                    if (!frame.IsBinary && frame.Type == EnginePacketType.Noop)
                    {
                        // Noops only release polls (the one queued when an upgrade began): never sent over WebSocket.
                        continue;
                    }

                    if (frame.IsBinary)
                    {
                        await socket.SendAsync(codec.EncodeBinaryFrame(frame.Payload), WebSocketMessageType.Binary, true, CancellationToken.None);
                    }
                    else
                    {
                        await socket.SendAsync(frame.Payload, WebSocketMessageType.Text, true, CancellationToken.None);
                    }

                    if (message.Attachments is { } attachments)
                    {
                        foreach (var attachment in attachments)
                        {
                            await socket.SendAsync(codec.EncodeBinaryFrame(attachment), WebSocketMessageType.Binary, true, CancellationToken.None);
                        }
                    }
                }
            }

            // The session closed: close the socket properly so the client sees a clean close and reconnects.
            var reason = session.CloseReason ?? "closed";
            await CloseSocketAsync(reason == MessageTooBig ? WebSocketCloseStatus.MessageTooBig : WebSocketCloseStatus.NormalClosure, reason);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            session.Close("transport error");
        }
    }

    /// <summary>
    /// Refuses a WebSocket for a session that is already upgraded or upgrading: Node accepts it and closes it at
    /// once, and clients treat that as a close; a 400 instead would surface as an error on the client.
    /// </summary>
    public static async Task RefuseAfterAcceptAsync(WebSocket socket, TimeProvider time)
    {
        using var grace = new CancellationTokenSource(CloseGrace, time);
        try
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "session already upgraded", grace.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            socket.Abort();
        }
    }

    private async Task CloseSocketAsync(WebSocketCloseStatus status, string description)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var grace = new CancellationTokenSource(CloseGrace);
        try
        {
            await socket.CloseOutputAsync(status, description, grace.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            socket.Abort();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Debug, "Engine.IO session {Sid}: WebSocket upgrade failed")]
        public static partial void UpgradeFailed(ILogger logger, string sid);

        [LoggerMessage(21, LogLevel.Information, "Engine.IO session {Sid}: malformed frame ({Error}), closing")]
        public static partial void MalformedFrame(ILogger logger, string sid, string error);
    }
}
