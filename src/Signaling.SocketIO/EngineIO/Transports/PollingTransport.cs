using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.EngineIO.Transports;

/// <summary>HTTP long-polling: a GET waits for queued packets, a POST carries packets from the client.</summary>
internal static class PollingTransport
{
    private static readonly TimeSpan ClientCloseWait = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan UpgradeNoopDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Answers a poll with everything queued, waiting until something is.</summary>
    public static async Task PollAsync(HttpContext context, EngineSession session)
    {
        if (!session.TryBeginPoll())
        {
            // Two polls at once: the client is confused or hostile; Node closes the session too.
            session.Close("overlapping poll");
            await EngineIORequestDispatcher.WriteErrorAsync(context, EngineIOError.BadRequest);
            return;
        }

        // The poll ends when its answer is decided, before the answer is written: a client that has its answer may
        // send the next poll at once, on another connection, and this thread may not get to run again before that
        // poll arrives (Node clears its pending request before the answer goes out, on its one thread).
        var ended = false;
        try
        {
            var aborted = context.RequestAborted;
            List<OutboundMessage>? messages = [new OutboundMessage(EngineFrame.Control(EnginePacketType.Close))];
            if (await session.Queue.WaitToReadAsync(aborted))
            {
                if (session.IsUpgrading)
                {
                    // Node releases a poll during an upgrade with a noop within 100 ms. Waiting that long (not longer)
                    // lets an upgrade the client is already finishing complete first: this poll then gets 400 like any
                    // poll on an upgraded session, instead of a noop that races the WebSocket's upgrade packet.
                    await session.WaitForUpgradeAsync(UpgradeNoopDelay, aborted);
                }

                messages = session.DrainForPoll(session.Server.Options.MaxPayload);
            }

            session.EndPoll();
            ended = true;
            if (messages is null)
            {
                await EngineIORequestDispatcher.WriteErrorAsync(context, EngineIOError.BadRequest);
                return;
            }

            await WritePayloadAsync(context, session, messages);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-poll; the heartbeat closes the session if it does not come back.
        }
        finally
        {
            if (!ended)
            {
                session.EndPoll();
            }
        }
    }

    /// <summary>Writes the handshake answer: the open packet and whatever the handler queued with it.</summary>
    public static Task HandshakeAsync(HttpContext context, EngineSession session)
        => WritePayloadAsync(context, session, session.DrainForPoll(session.Server.Options.MaxPayload) ?? []);

    /// <summary>Reads the client's packets and hands them to the session in order.</summary>
    public static async Task PostAsync(HttpContext context, EngineSession session)
    {
        if (!session.TryBeginPost())
        {
            session.Close("overlapping post");
            await EngineIORequestDispatcher.WriteErrorAsync(context, EngineIOError.BadRequest);
            return;
        }

        // As for polls: the POST ends before its answer goes out, so the client's next one is no overlap.
        var ended = false;
        try
        {
            var max = session.Server.Options.MaxPayload;
            if (context.Request.ContentLength > max)
            {
                await RefuseTooLargeAsync(context, session);
                return;
            }

            var body = await ReadBodyAsync(context.Request.BodyReader, max, context.RequestAborted);
            if (body is null)
            {
                await RefuseTooLargeAsync(context, session);
                return;
            }

            var binaryContent = context.Request.ContentType?.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) == true;
            var packets = new List<EnginePacket>();
            if (!session.Codec.TryDecodePayload(body, binaryContent, packets, out _))
            {
                session.Server.Metrics.Error("parse error");
                session.Close("parse error");
                await EngineIORequestDispatcher.WriteErrorAsync(context, EngineIOError.BadRequest);
                return;
            }

            foreach (var packet in packets)
            {
                if (packet.Type == EnginePacketType.Close)
                {
                    await WaitForPendingPollAsync(session, context.RequestAborted);
                }

                if (!await session.ReceiveAsync(packet))
                {
                    break;
                }
            }

            session.EndPost();
            ended = true;
            context.Response.ContentType = "text/html";
            context.Response.ContentLength = 2;
            await context.Response.Body.WriteAsync("ok"u8.ToArray(), context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            if (!ended)
            {
                session.EndPost();
            }
        }
    }

    /// <summary>
    /// A client that closes while polling sends its GET just before the POST with the close packet, on another
    /// connection, and expects that GET to be released with a noop. The POST may be served first: give the GET a
    /// moment to arrive, or it would find the session gone (400).
    /// </summary>
    private static async Task WaitForPendingPollAsync(EngineSession session, CancellationToken cancellationToken)
    {
        var time = session.Server.Time;
        var start = time.GetTimestamp();
        while (!session.IsPollPending && !session.IsClosed && time.GetElapsedTime(start) < ClientCloseWait)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), time, cancellationToken);
        }
    }

    private static async Task RefuseTooLargeAsync(HttpContext context, EngineSession session)
    {
        session.Server.Metrics.Error("payload too large");
        session.Close("payload too large");
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        context.Response.Headers.Connection = "close";
        await context.Response.CompleteAsync();
    }

    private static async Task<byte[]?> ReadBodyAsync(PipeReader reader, int max, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.Buffer.Length > max)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                return null;
            }

            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static async Task WritePayloadAsync(HttpContext context, EngineSession session, List<OutboundMessage> messages)
    {
        var body = new ArrayBufferWriter<byte>(256);
        var contentType = session.Codec.EncodePayload(messages, session.SupportsBinary, body);
        var response = context.Response;
        response.ContentType = contentType;
        response.ContentLength = body.WrittenCount;
        response.Headers.CacheControl = "no-store";
        await response.Body.WriteAsync(body.WrittenMemory, CancellationToken.None);
    }
}
