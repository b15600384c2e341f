using System.Threading.Channels;
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

    private readonly Channel<OutboundMessage> _queue;
    private readonly EngineIOServer _server;
    private readonly Lock _sync = new();
    private int _state;
    private int _postInProgress;
    private int _pollInProgress;
    private long _lastPingReceived;
    private long _pingSentAt;
    private long _nextPingAt;
    private long _upgradeDeadline;
    private long _confirmDeadline;

    internal EngineSession(EngineIOServer server, string id, int protocol, EngineTransportKind transport, bool supportsBinary, EngineHandshake handshake)
    {
        _server = server;
        Id = id;
        Codec = EnginePayloadCodec.For(protocol);
        Transport = transport;
        SupportsBinary = supportsBinary;
        Handshake = handshake;
        _queue = Channel.CreateBounded<OutboundMessage>(new BoundedChannelOptions(server.Options.MaxQueuedPackets)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
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

    internal ChannelReader<OutboundMessage> Queue => _queue.Reader;

    internal EngineIOServer Server => _server;

    /// <summary>Queues a message. Returns false (and closes the session) when the queue is full, or when closed.</summary>
    public bool Send(in OutboundMessage message)
    {
        if (_queue.Writer.TryWrite(message))
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
        => Volatile.Write(ref _confirmDeadline, _server.Time.GetTimestamp() + _server.ToTicks(timeout));

    /// <summary>Cancels the deadline set by <see cref="RequireConfirmationWithin"/>.</summary>
    public void Confirm() => Volatile.Write(ref _confirmDeadline, 0);

    /// <summary>Closes the session: the transport is closed and the handler told once.</summary>
    public void Close(string reason)
    {
        lock (_sync)
        {
            if (_state == StateClosed)
            {
                return;
            }

            _state = StateClosed;
            CloseReason = reason;
        }

        // A pending poll is answered with the close packet; a WebSocket writer ends when the queue completes.
        if (Transport == EngineTransportKind.Polling)
        {
            _queue.Writer.TryWrite(new OutboundMessage(EngineFrame.Control(EnginePacketType.Close)));
        }

        _queue.Writer.TryComplete();
        _server.OnSessionClosed(this, reason);
    }

    /// <summary>Handles one packet from the client, in order. Message data is valid only during the call.</summary>
    internal async ValueTask<bool> ReceiveAsync(EnginePacket packet, bool overWebSocket)
    {
        if (IsClosed)
        {
            return false;
        }

        _server.Metrics.PacketsIn(1);
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
                Volatile.Write(ref _pingSentAt, 0);
                Volatile.Write(ref _nextPingAt, _server.Time.GetTimestamp() + _server.ToTicks(_server.Options.PingInterval));
                return true;
            case EnginePacketType.Ping:
            case EnginePacketType.Pong:
                // Heartbeats go server→client in EIO4 and client→server in EIO3.
                Close("invalid heartbeat direction");
                return false;
            case EnginePacketType.Close:
                // Node honours a close packet over polling and ignores it over WebSocket, where clients close the socket itself.
                if (!overWebSocket)
                {
                    Close("transport close");
                    return false;
                }

                return true;
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
            while (bytes < maxBytes && _queue.Reader.TryRead(out var item))
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
            Volatile.Write(ref _upgradeDeadline, _server.Time.GetTimestamp() + _server.ToTicks(_server.Options.UpgradeTimeout));
        }

        // Wake a pending poll: it answers noop while upgrading.
        _queue.Writer.TryWrite(new OutboundMessage(EngineFrame.Control(EnginePacketType.Noop)));
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
            }
        }
    }

    /// <summary>One heartbeat tick: pings, ping timeouts, upgrade and connect deadlines.</summary>
    internal void Tick(long now)
    {
        if (IsClosed)
        {
            return;
        }

        var confirmDeadline = Volatile.Read(ref _confirmDeadline);
        if (confirmDeadline != 0 && now >= confirmDeadline)
        {
            Close("connect timeout");
            return;
        }

        var upgradeDeadline = Volatile.Read(ref _upgradeDeadline);
        if (upgradeDeadline != 0 && now >= upgradeDeadline)
        {
            AbortUpgrade();
        }

        var options = _server.Options;
        if (Protocol == 3)
        {
            if (now - Volatile.Read(ref _lastPingReceived) > _server.ToTicks(options.PingInterval + options.PingTimeout))
            {
                Close("ping timeout");
            }

            return;
        }

        var pingSentAt = Volatile.Read(ref _pingSentAt);
        if (pingSentAt != 0)
        {
            if (now - pingSentAt > _server.ToTicks(options.PingTimeout))
            {
                Close("ping timeout");
            }
        }
        else if (now >= Volatile.Read(ref _nextPingAt))
        {
            Volatile.Write(ref _pingSentAt, now);
            Send(EngineFrame.Control(EnginePacketType.Ping));
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
