using System.Buffers.Binary;
using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadGen;

/// <summary>What a scenario does with the packets a client receives. Called on the client's receive loop, one at a time.</summary>
internal interface IClientHandler
{
    /// <summary>A Socket.IO EVENT on "/": <paramref name="packet"/> is the JSON array after <c>42</c>.</summary>
    void OnEvent(SioClient client, ReadOnlySpan<byte> packet);

    /// <summary>A Socket.IO ACK: its id and the JSON array of its arguments.</summary>
    void OnAck(SioClient client, long id, ReadOnlySpan<byte> args);
}

/// <summary>
/// A minimal Socket.IO v5 / Engine.IO 4 client over a WebSocket on a raw TCP socket: one receive loop that parses
/// every complete frame of a read before writing anything, and one outgoing buffer that collects the frames queued
/// meanwhile so they leave in one send. Frames are masked with a per-connection key (RFC 6455 requires masking).
/// </summary>
internal sealed class SioClient : IDisposable
{
    private const int StateHttp = 0;
    private const int StateWaitOpen = 1;
    private const int StateWaitConnect = 2;
    private const int StateConnected = 3;
    private const int StateClosed = 4;

    private static readonly byte[] SioConnect = "40"u8.ToArray();
    private static readonly byte[] EnginePong = "3"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _request;
    private readonly Lock _sendLock = new();
    private readonly byte[] _maskKey = new byte[4];
    private readonly ulong _mask8;
    private readonly TaskCompletionSource _connected = new(); // continuations run inline on the receive loop (they never block)
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[] _rx;
    private int _rxLen;
    private byte[] _out;
    private byte[] _alt;
    private int _outLen;
    private bool _sending;
    private int _state;
    private long _nextAckId;
    private bool _closeSent;

    private SioClient(byte[] request, IClientHandler? handler, int receiveBuffer)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _request = request;
        Handler = handler;
        _rx = new byte[receiveBuffer];
        _out = new byte[1024];
        _alt = new byte[1024];
        do
        {
            Random.Shared.NextBytes(_maskKey);
        }
        while (BinaryPrimitives.ReadUInt32LittleEndian(_maskKey) == 0);

        Span<byte> eight = [_maskKey[0], _maskKey[1], _maskKey[2], _maskKey[3], _maskKey[0], _maskKey[1], _maskKey[2], _maskKey[3]];
        _mask8 = BinaryPrimitives.ReadUInt64LittleEndian(eight);
    }

    /// <summary>The Socket.IO socket id (from the CONNECT answer).</summary>
    public string Id { get; private set; } = "";

    /// <summary>The scenario's handler.</summary>
    public IClientHandler? Handler { get; set; }

    /// <summary>Scenario state.</summary>
    public object? Tag { get; set; }

    /// <summary>Events received (counted by the handler).</summary>
    public long Received;

    /// <summary>Acks received (counted by the handler).</summary>
    public long Acked;

    /// <summary>Exchanges sent (counted by the handler).</summary>
    public long Sent;

    /// <summary>Acks with an error.</summary>
    public long Errors;

    /// <summary>Completes when the connection is closed.</summary>
    public Task Closed => _closed.Task;

    public bool IsClosed => Volatile.Read(ref _state) == StateClosed;

    /// <summary>The HTTP upgrade request for an endpoint, encoded once.</summary>
    public static byte[] UpgradeRequest(IPEndPoint endpoint)
        => Encoding.ASCII.GetBytes(
            $"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {endpoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

    /// <summary>TCP connect, WebSocket upgrade, Engine.IO open, Socket.IO CONNECT to "/" and its answer.</summary>
    public static async Task<SioClient> ConnectAsync(IPEndPoint endpoint, byte[] request, IClientHandler? handler, TimeSpan timeout, int receiveBuffer = 8192)
    {
        var client = new SioClient(request, handler, receiveBuffer);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await client._socket.ConnectAsync(endpoint, cts.Token);
            await client._socket.SendAsync(request, SocketFlags.None, cts.Token);
            _ = client.ReceiveLoopAsync();
            await client._connected.Task.WaitAsync(cts.Token);
            return client;
        }
        catch
        {
            client.Abort();
            throw;
        }
    }

    /// <summary>Queues <c>42[ackId]json</c> (an EVENT; <paramref name="withAck"/> asks for an ack) and returns the ack id or -1.</summary>
    public long Emit(ReadOnlySpan<byte> json, bool withAck)
    {
        lock (_sendLock)
        {
            var id = withAck ? _nextAckId++ : -1;
            AppendTextFrame("42"u8, id, json);
            return id;
        }
    }

    /// <summary>Sends what is queued (at once if nothing is being sent, else right after).</summary>
    public void Flush()
    {
        lock (_sendLock)
        {
            if (_sending || _outLen == 0)
            {
                return;
            }

            _sending = true;
        }

        _ = FlushLoopAsync();
    }

    /// <summary>Closes the WebSocket (close frame), waits for the server's answer (or <paramref name="timeout"/>), then the TCP connection.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        if (IsClosed)
        {
            _socket.Dispose();
            return;
        }

        lock (_sendLock)
        {
            if (!_closeSent)
            {
                _closeSent = true;
                AppendFrame(0x88, [0x03, 0xE8], -1, default);
            }
        }

        Flush();
        try
        {
            await _closed.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
        }

        // The WebSocket close handshake is done; end TCP with a reset so that the load generator's side keeps no
        // TIME_WAIT socket: thousands of them make every connect() search the ephemeral port range (kernel time
        // that would be charged to the load generator, and a port shortage at a few thousand calls per second).
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        Abort();
    }

    /// <inheritdoc />
    public void Dispose() => Abort();

    /// <summary>Drops the connection.</summary>
    public void Abort()
    {
        Volatile.Write(ref _state, StateClosed);
        _connected.TrySetException(new IOException("connection closed"));
        _closed.TrySetResult();
        _socket.Dispose();
    }

    private async Task FlushLoopAsync()
    {
        try
        {
            while (true)
            {
                byte[] buffer;
                int length;
                lock (_sendLock)
                {
                    if (_outLen == 0)
                    {
                        _sending = false;
                        return;
                    }

                    buffer = _out;
                    length = _outLen;
                    _out = _alt;
                    _outLen = 0;
                }

                await _socket.SendAsync(buffer.AsMemory(0, length), SocketFlags.None);
                lock (_sendLock)
                {
                    _alt = buffer;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            lock (_sendLock)
            {
                _sending = false;
                _outLen = 0;
            }

            Abort();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                if (_rxLen == _rx.Length)
                {
                    Array.Resize(ref _rx, _rx.Length * 2);
                }

                var n = await _socket.ReceiveAsync(_rx.AsMemory(_rxLen), SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                _rxLen += n;
                var consumed = Process(_rx.AsSpan(0, _rxLen));
                if (consumed > 0)
                {
                    var rest = _rxLen - consumed;
                    if (rest > 0)
                    {
                        Buffer.BlockCopy(_rx, consumed, _rx, 0, rest);
                    }

                    _rxLen = rest;
                }

                Flush();
                if (Volatile.Read(ref _state) == StateClosed)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidDataException)
        {
        }
        finally
        {
            Volatile.Write(ref _state, StateClosed);
            _connected.TrySetException(new IOException("connection closed before CONNECT"));
            _closed.TrySetResult();
        }
    }

    /// <summary>Handles every complete unit in <paramref name="data"/>; returns the bytes consumed.</summary>
    private int Process(ReadOnlySpan<byte> data)
    {
        var pos = 0;
        if (_state == StateHttp)
        {
            var end = data.IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                return 0;
            }

            if (!data.StartsWith("HTTP/1.1 101"u8))
            {
                throw new InvalidDataException("upgrade refused: " + Encoding.ASCII.GetString(data[..Math.Min(end, 200)]));
            }

            pos = end + 4;
            _state = StateWaitOpen;
        }

        while (true)
        {
            var span = data[pos..];
            if (span.Length < 2)
            {
                break;
            }

            var b0 = span[0];
            var b1 = span[1];
            long length = b1 & 0x7F;
            var header = 2;
            if (length == 126)
            {
                if (span.Length < 4)
                {
                    break;
                }

                length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
                header = 4;
            }
            else if (length == 127)
            {
                if (span.Length < 10)
                {
                    break;
                }

                length = (long)BinaryPrimitives.ReadUInt64BigEndian(span[2..]);
                header = 10;
            }

            if ((b1 & 0x80) != 0 || (b0 & 0x80) == 0 || length > int.MaxValue / 2)
            {
                throw new InvalidDataException("masked, fragmented or huge frame from the server");
            }

            if (span.Length < header + length)
            {
                break;
            }

            var payload = span.Slice(header, (int)length);
            pos += header + (int)length;
            switch (b0 & 0x0F)
            {
                case 0x1:
                    OnEngineText(payload);
                    break;
                case 0x8:
                    lock (_sendLock)
                    {
                        if (!_closeSent)
                        {
                            _closeSent = true;
                            AppendFrame(0x88, payload.Length >= 2 ? payload[..2] : default, -1, default);
                        }
                    }

                    Flush();
                    _closed.TrySetResult();
                    break;
                case 0x9:
                    lock (_sendLock)
                    {
                        AppendFrame(0x8A, payload, -1, default);
                    }

                    break;
                default:
                    break;
            }
        }

        return pos;
    }

    private void OnEngineText(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty)
        {
            return;
        }

        switch (packet[0])
        {
            case (byte)'4':
                OnSocketIO(packet[1..]);
                break;
            case (byte)'2':
                lock (_sendLock)
                {
                    AppendTextFrame(EnginePong, -1, packet[1..]);
                }

                break;
            case (byte)'0' when _state == StateWaitOpen:
                _state = StateWaitConnect;
                lock (_sendLock)
                {
                    AppendTextFrame(SioConnect, -1, default);
                }

                break;
            default:
                break;
        }
    }

    private void OnSocketIO(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty)
        {
            return;
        }

        switch (packet[0])
        {
            case (byte)'2':
                Handler?.OnEvent(this, packet[1..]);
                break;
            case (byte)'3':
                {
                    var rest = packet[1..];
                    if (!Utf8Parser.TryParse(rest, out long id, out var digits))
                    {
                        throw new InvalidDataException("ack without id");
                    }

                    Handler?.OnAck(this, id, rest[digits..]);
                    break;
                }

            case (byte)'0':
                {
                    var key = packet.IndexOf("\"sid\":\""u8);
                    if (key < 0)
                    {
                        throw new InvalidDataException("CONNECT without sid");
                    }

                    var sid = packet[(key + 7)..];
                    Id = Encoding.UTF8.GetString(sid[..sid.IndexOf((byte)'"')]);
                    _state = StateConnected;
                    _connected.TrySetResult();
                    break;
                }

            case (byte)'4':
                throw new InvalidDataException("CONNECT_ERROR " + Encoding.UTF8.GetString(packet));
            default:
                break;
        }
    }

    /// <summary>Appends a masked text frame <c>prefix + ackId digits + body</c>. Caller holds the send lock.</summary>
    private void AppendTextFrame(ReadOnlySpan<byte> prefix, long ackId, ReadOnlySpan<byte> body)
        => AppendFrame(0x81, prefix, ackId, body);

    /// <summary>Appends a masked frame whose payload is <paramref name="a"/>, the ack id's digits (if any), then <paramref name="c"/>.</summary>
    private void AppendFrame(byte first, ReadOnlySpan<byte> a, long ackId, ReadOnlySpan<byte> c)
    {
        Span<byte> digits = stackalloc byte[20];
        var digitCount = 0;
        if (ackId >= 0)
        {
            Utf8Formatter.TryFormat(ackId, digits, out digitCount);
        }

        var length = a.Length + digitCount + c.Length;
        var header = length < 126 ? 2 : length < 65536 ? 4 : 10;
        var total = header + 4 + length;
        if (_out.Length - _outLen < total)
        {
            var bigger = new byte[Math.Max(_out.Length * 2, _outLen + total)];
            _out.AsSpan(0, _outLen).CopyTo(bigger);
            _out = bigger;
        }

        var frame = _out.AsSpan(_outLen, total);
        frame[0] = first;
        if (header == 2)
        {
            frame[1] = (byte)(0x80 | length);
        }
        else if (header == 4)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)length);
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame[2..], (ulong)length);
        }

        _maskKey.CopyTo(frame[header..]);
        var payload = frame[(header + 4)..];
        a.CopyTo(payload);
        digits[..digitCount].CopyTo(payload[a.Length..]);
        c.CopyTo(payload[(a.Length + digitCount)..]);
        Mask(payload);
        _outLen += total;
    }

    private void Mask(Span<byte> payload)
    {
        var i = 0;
        for (; i + 8 <= payload.Length; i += 8)
        {
            var word = BinaryPrimitives.ReadUInt64LittleEndian(payload[i..]);
            BinaryPrimitives.WriteUInt64LittleEndian(payload[i..], word ^ _mask8);
        }

        for (; i < payload.Length; i++)
        {
            payload[i] ^= _maskKey[i & 3];
        }
    }
}
