using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.EngineIO;

/// <summary>The transport a session currently uses.</summary>
public enum EngineTransportKind
{
    /// <summary>HTTP long-polling.</summary>
    Polling,

    /// <summary>WebSocket.</summary>
    WebSocket,
}

/// <summary>What a client sent with its handshake request, kept for the layers above (no HttpContext below the transport).</summary>
public sealed class EngineHandshake
{
    /// <summary>Query string parameters of the handshake request (first value of each).</summary>
    public required IReadOnlyDictionary<string, string> Query { get; init; }

    /// <summary>The <c>Origin</c> header, if any.</summary>
    public string? Origin { get; init; }

    /// <summary>The <c>Authorization</c> header, if any.</summary>
    public string? Authorization { get; init; }

    /// <summary>The client's address.</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>The authenticated user of the handshake request, if the host ran authentication.</summary>
    public System.Security.Claims.ClaimsPrincipal? User { get; init; }
}

/// <summary>
/// One Engine.IO connection: handshake data, heartbeat state, the send queue and the transport in use.
/// Outgoing packets go through a single bounded queue; whichever transport is active is its only reader.
/// </summary>
public sealed partial class EngineSession
{
    private const int StateOpen = 0;
    private const int StateUpgrading = 1;
    private const int StateClosed = 2;

    private readonly SendQueue _queue;
    private readonly EngineIOServer _server;
    private readonly Lock _sync = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private int _postInProgress;
    private int _pollInProgress;
    private long _lastPingReceived;
    private long _nextPingAt;
    private long _pongDeadline;
    private int _pongDeadlineRefreshed;
    private long _upgradeDeadline;
    private TaskCompletionSource? _upgradeSettled;
    private long _confirmDeadline;

    internal EngineSession(EngineIOServer server, string id, int protocol, EngineTransportKind transport, bool supportsBinary, EngineHandshake handshake)
    {
        _server = server;
        Id = id;
        Codec = EnginePayloadCodec.For(protocol);
        Transport = transport;
        SupportsBinary = supportsBinary;
        Handshake = handshake;
        _queue = new SendQueue(server.Options.MaxQueuedPackets);
        var now = server.Time.GetTimestamp();
        _lastPingReceived = now;
        _nextPingAt = now + server.ToTicks(server.Options.PingInterval);
    }

    /// <summary>The session id (<c>sid</c>).</summary>
    public string Id { get; }

    /// <summary>The Engine.IO protocol revision, 3 or 4.</summary>
    public int Protocol => Codec.Protocol;

    /// <summary>The transport in use.</summary>
    public EngineTransportKind Transport { get; private set; }

    /// <summary>The handshake request's data.</summary>
    public EngineHandshake Handshake { get; }

    /// <summary>False when an EIO3 polling client asked for base64 binary (<c>b64=1</c>).</summary>
    public bool SupportsBinary { get; }

    /// <summary>True once the session is closed.</summary>
    public bool IsClosed => Volatile.Read(ref _state) == StateClosed;

    /// <summary>Slot for the layer above (the Socket.IO connection).</summary>
    public object? Items { get; set; }

    /// <summary>Why the session closed, once it has.</summary>
    public string? CloseReason { get; private set; }

    internal EnginePayloadCodec Codec { get; }

    internal SendQueue Queue => _queue;

    /// <summary>Completes when the session closes.</summary>
    internal Task Closed => _closed.Task;

    internal EngineIOServer Server => _server;

    /// <summary>Queues a message. Returns false (and closes the session) when the queue is full, or when closed.</summary>
    public bool Send(in OutboundMessage message)
    {
        if (_queue.TryWrite(message))
        {
            _server.Metrics.PacketsOut(message.PacketCount);
            return true;
        }

        if (!IsClosed)
        {
            Log.QueueFull(_server.Logger, Id);
            Close("send queue full");
        }

        return false;
    }

    /// <summary>Queues a single text packet given with its type digit.</summary>
    public bool Send(EngineFrame frame) => Send(new OutboundMessage(frame));

    /// <summary>
    /// Closes the session unless <see cref="Confirm"/> is called within <paramref name="timeout"/>
    /// (Socket.IO's connect timeout: an Engine.IO session that never joins a namespace).
    /// </summary>
    public void RequireConfirmationWithin(TimeSpan timeout)
    {
        var deadline = _server.Time.GetTimestamp() + _server.ToTicks(timeout);
        Volatile.Write(ref _confirmDeadline, deadline);
        _server.WakeHeartbeatBy(deadline);
    }

    /// <summary>Cancels the deadline set by <see cref="RequireConfirmationWithin"/>.</summary>
    public void Confirm() => Volatile.Write(ref _confirmDeadline, 0);

    /// <summary>Closes the session: the transport is closed and the handler told once.</summary>
    public void Close(string reason) => Close(reason, EnginePacketType.Close);

    /// <summary>Closes the session; a pending poll is answered with <paramref name="lastPollPacket"/>.</summary>
    private void Close(string reason, EnginePacketType lastPollPacket)
    {
        lock (_sync)
        {
            if (_state == StateClosed)
            {
                return;
            }

            _state = StateClosed;
            CloseReason = reason;
            _upgradeSettled?.TrySetResult();
        }

        // A pending poll is answered with the close packet (a noop when the client itself closed, as Node does);
        // a WebSocket writer ends when the queue completes.
        if (Transport == EngineTransportKind.Polling)
        {
            _queue.TryWrite(new OutboundMessage(EngineFrame.Control(lastPollPacket)));
        }

        _queue.Complete();
        _closed.TrySetResult();
        _server.OnSessionClosed(this, reason);
    }

    /// <summary>Handles one packet from the client, in order. Message data is valid only during the call.</summary>
    internal async ValueTask<bool> ReceiveAsync(EnginePacket packet)
    {
        if (IsClosed)
        {
            return false;
        }

        _server.Metrics.PacketsIn(1);
        if (Protocol == 4 && packet.Type != EnginePacketType.Pong)
        {
            RefreshPongDeadlineOnce();
        }

        switch (packet.Type)
        {
            case EnginePacketType.Message:
                await _server.Handler.OnMessageAsync(this, packet);
                return true;
            case EnginePacketType.Ping when Protocol == 3:
                Volatile.Write(ref _lastPingReceived, _server.Time.GetTimestamp());
                Send(packet.Data.IsEmpty ? EngineFrame.Control(EnginePacketType.Pong) : EngineFrame.Text(Prefix('3', packet.Data.Span)));
                return true;
            case EnginePacketType.Pong when Protocol == 4:
                // The next ping is due an interval after this pong; publish it before clearing the deadline so
                // the heartbeat never sees "no ping outstanding" with the old due time.
                Volatile.Write(ref _nextPingAt, _server.Time.GetTimestamp() + _server.ToTicks(_server.Options.PingInterval));
                Volatile.Write(ref _pongDeadline, 0);
                return true;
            case EnginePacketType.Ping:
            case EnginePacketType.Pong:
                // Heartbeats go server→client in EIO4 and client→server in EIO3.
                Close("invalid heartbeat direction");
                return false;
            case EnginePacketType.Close:
                // The client closes the transport. A poll it left pending is released with a noop, not a close packet.
                Close("transport close", EnginePacketType.Noop);
                return false;
            case EnginePacketType.Noop:
                return true;
            default:
                Close("parse error");
                return false;
        }
    }

    internal bool TryBeginPost() => Interlocked.Exchange(ref _postInProgress, 1) == 0;

    internal void EndPost() => Volatile.Write(ref _postInProgress, 0);

    internal bool TryBeginPoll() => Interlocked.Exchange(ref _pollInProgress, 1) == 0;

    internal void EndPoll() => Volatile.Write(ref _pollInProgress, 0);

    internal bool IsPollPending => Volatile.Read(ref _pollInProgress) == 1;

    internal bool IsPostInProgress => Volatile.Read(ref _postInProgress) == 1;

    /// <summary>Takes what is queued for a polling response, or null when the session is no longer on polling.</summary>
    internal List<OutboundMessage>? DrainForPoll(int maxBytes)
    {
        lock (_sync)
        {
            if (_state == StateUpgrading)
            {
                // Releases the poll so the client can finish the upgrade; queued packets wait for the WebSocket.
                return [new OutboundMessage(EngineFrame.Control(EnginePacketType.Noop))];
            }

            if (Transport != EngineTransportKind.Polling)
            {
                return null;
            }

            var items = new List<OutboundMessage>();
            var bytes = 0;
            while (bytes < maxBytes && _queue.TryRead(out var item))
            {
                items.Add(item);
                bytes += item.Frame.Payload.Length;
            }

            return items;
        }
    }

    internal bool IsUpgrading => Volatile.Read(ref _state) == StateUpgrading;

    internal bool TryBeginUpgrade()
    {
        lock (_sync)
        {
            if (_state != StateOpen || Transport != EngineTransportKind.Polling)
            {
                return false;
            }

            _state = StateUpgrading;
            _upgradeSettled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _upgradeDeadline, _server.Time.GetTimestamp() + _server.ToTicks(_server.Options.UpgradeTimeout));
        }

        // Wake a pending poll: it answers noop while upgrading.
        _queue.TryWrite(new OutboundMessage(EngineFrame.Control(EnginePacketType.Noop)));
        return true;
    }

    internal bool CompleteUpgrade()
    {
        lock (_sync)
        {
            if (_state != StateUpgrading)
            {
                return false;
            }

            _state = StateOpen;
            Volatile.Write(ref _upgradeDeadline, 0);
            Transport = EngineTransportKind.WebSocket;
            _upgradeSettled?.TrySetResult();
        }

        _server.Metrics.Upgraded(Protocol);
        return true;
    }

    internal void AbortUpgrade()
    {
        lock (_sync)
        {
            if (_state == StateUpgrading)
            {
                _state = StateOpen;
                Volatile.Write(ref _upgradeDeadline, 0);
                _upgradeSettled?.TrySetResult();
            }
        }
    }

    /// <summary>Waits until an upgrade in progress completes or fails, the session closes, or <paramref name="timeout"/> passes.</summary>
    internal async Task WaitForUpgradeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task settled;
        lock (_sync)
        {
            if (_state != StateUpgrading || _upgradeSettled is null)
            {
                return;
            }

            settled = _upgradeSettled.Task;
        }

        await Task.WhenAny(settled, Task.Delay(timeout, _server.Time, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>One heartbeat tick: pings, ping timeouts, upgrade and connect deadlines.</summary>
    /// <returns>When the session next needs a tick.</returns>
    internal long Tick(long now)
    {
        if (IsClosed || CloseIfExpired(now))
        {
            return long.MaxValue;
        }

        var upgradeDeadline = Volatile.Read(ref _upgradeDeadline);
        if (upgradeDeadline != 0 && now >= upgradeDeadline)
        {
            AbortUpgrade();
        }

        var options = _server.Options;
        long next;
        if (Protocol == 3)
        {
            next = Volatile.Read(ref _lastPingReceived) + _server.ToTicks(options.PingInterval + options.PingTimeout) + 1;
        }
        else
        {
            if (Volatile.Read(ref _pongDeadline) == 0)
            {
                var due = Volatile.Read(ref _nextPingAt);
                if (now >= due)
                {
                    // The pong is due a timeout after the ping was due, not after this tick sent it, so the session
                    // dies on time; a tick that ran very late still leaves the client a whole timeout.
                    var timeout = _server.ToTicks(options.PingTimeout);
                    var deadline = due + timeout > now ? due + timeout : now + timeout;
                    if (Interlocked.CompareExchange(ref _pongDeadline, deadline, 0) == 0)
                    {
                        Volatile.Write(ref _pongDeadlineRefreshed, 0);
                        Send(EngineFrame.Control(EnginePacketType.Ping));
                    }
                }
            }

            var pongDeadline = Volatile.Read(ref _pongDeadline);
            next = pongDeadline != 0 ? pongDeadline : Volatile.Read(ref _nextPingAt);
        }

        upgradeDeadline = Volatile.Read(ref _upgradeDeadline);
        if (upgradeDeadline != 0)
        {
            next = Math.Min(next, upgradeDeadline);
        }

        var confirmDeadline = Volatile.Read(ref _confirmDeadline);
        return confirmDeadline != 0 ? Math.Min(next, confirmDeadline) : next;
    }

    /// <summary>
    /// Closes the session when a heartbeat or connect deadline has passed. Requests call this before using a
    /// session, so a deadline holds to the millisecond even between two heartbeat ticks.
    /// </summary>
    internal bool CloseIfExpired(long now)
    {
        var confirmDeadline = Volatile.Read(ref _confirmDeadline);
        if (confirmDeadline != 0 && now >= confirmDeadline)
        {
            Close("connect timeout");
            return true;
        }

        var options = _server.Options;
        bool expired;
        if (Protocol == 3)
        {
            expired = now - Volatile.Read(ref _lastPingReceived) > _server.ToTicks(options.PingInterval + options.PingTimeout);
        }
        else
        {
            // With no ping outstanding, a ping overdue by a whole timeout could not have been answered in time either.
            var pongDeadline = Volatile.Read(ref _pongDeadline);
            expired = pongDeadline != 0
                ? now >= pongDeadline
                : now >= Volatile.Read(ref _nextPingAt) + _server.ToTicks(options.PingTimeout);
        }

        if (expired)
        {
            Close("ping timeout");
        }

        return expired;
    }

    /// <summary>Any packet but a pong, while a pong is awaited, extends the wait once (as engine.io 6 does).</summary>
    private void RefreshPongDeadlineOnce()
    {
        var deadline = Volatile.Read(ref _pongDeadline);
        if (deadline != 0 && Interlocked.Exchange(ref _pongDeadlineRefreshed, 1) == 0)
        {
            Interlocked.CompareExchange(ref _pongDeadline, _server.Time.GetTimestamp() + _server.ToTicks(_server.Options.PingTimeout), deadline);
        }
    }

    private static byte[] Prefix(char type, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[data.Length + 1];
        bytes[0] = (byte)type;
        data.CopyTo(bytes.AsSpan(1));
        return bytes;
    }
}
