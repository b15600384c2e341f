using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ExtraBench;

/// <summary>Called on a connection's receive loop with the JSON array of a Socket.IO EVENT on "/" (the bytes after <c>42</c>).</summary>
internal delegate void EventCallback(SioConnection connection, ReadOnlySpan<byte> eventArray);

/// <summary>
/// A small Socket.IO v5 / Engine.IO 4 client over a WebSocket on a plain TCP socket. The CONNECT packet carries an
/// optional auth object (<c>40{"userId":"bob"}</c>). One receive loop parses every complete frame of a read; sends are
/// synchronous, one masked frame per call, serialised by a lock (loopback sends of a few hundred bytes never block
/// for long). Engine.IO pings are answered on the receive loop.
/// </summary>
internal sealed class SioConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _connectPacket;
    private readonly Lock _sendLock = new();
    private readonly byte[] _mask = new byte[4];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<string>> _acks = new();
    private byte[] _tx = new byte[1024];
    private byte[] _rx = new byte[16 * 1024];
    private int _rxLength;
    private bool _upgraded;
    private long _nextAckId;
    private volatile bool _closed;

    private SioConnection(int index, string? authJson, EventCallback? onEvent)
    {
        Index = index;
        OnEvent = onEvent;
        _connectPacket = Encoding.UTF8.GetBytes("40" + (authJson ?? ""));
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        RandomNumberGenerator.Fill(_mask);
    }

    /// <summary>The Socket.IO socket id from the CONNECT answer.</summary>
    public string Sid { get; private set; } = "";

    /// <summary>The caller's number for this connection.</summary>
    public int Index { get; }

    /// <summary>Receives every EVENT.</summary>
    public EventCallback? OnEvent { get; set; }

    /// <summary>Scenario state.</summary>
    public object? Tag { get; set; }

    public bool IsClosed => _closed;

    /// <summary>TCP connect, WebSocket upgrade, Engine.IO open, Socket.IO CONNECT (with <paramref name="authJson"/>) and its answer.</summary>
    public static async Task<SioConnection> ConnectAsync(IPEndPoint endpoint, int index, string? authJson, EventCallback? onEvent, TimeSpan timeout)
    {
        var connection = new SioConnection(index, authJson, onEvent);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await connection._socket.ConnectAsync(endpoint, cts.Token);
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = Encoding.ASCII.GetBytes(
                $"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {endpoint}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");
            await connection._socket.SendAsync(request, SocketFlags.None, cts.Token);
            _ = connection.ReceiveLoopAsync();
            await connection._ready.Task.WaitAsync(cts.Token);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="count"/> connections, <paramref name="concurrency"/> at a time.</summary>
    public static async Task<SioConnection[]> ConnectManyAsync(IPEndPoint endpoint, int count, int concurrency, Func<int, string?> auth, EventCallback? onEvent)
    {
        var result = new SioConnection[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(count, concurrency)).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                result[i] = await ConnectAsync(endpoint, i, auth(i), onEvent, TimeSpan.FromSeconds(15));
            }
        }));
        return result;
    }

    /// <summary>Sends <c>42[id]json</c> and returns the ack's JSON array.</summary>
    public Task<string> EmitWithAckAsync(string json)
    {
        var id = Interlocked.Increment(ref _nextAckId);
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _acks[id] = tcs;
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(id, digits, out var n);
        Send("42"u8, digits[..n], Encoding.UTF8.GetBytes(json));
        return tcs.Task;
    }

    /// <summary>Sends <c>42</c> + <paramref name="head"/> + <paramref name="number"/> + <paramref name="tail"/> (an EVENT without ack).</summary>
    public void EmitWithNumber(ReadOnlySpan<byte> head, long number, ReadOnlySpan<byte> tail)
    {
        Span<byte> payload = stackalloc byte[head.Length + 22];
        "42"u8.CopyTo(payload);
        head.CopyTo(payload[2..]);
        Utf8Formatter.TryFormat(number, payload[(2 + head.Length)..], out var n);
        Send(payload[..(2 + head.Length + n)], tail, default);
    }

    /// <summary>Drops the connection (TCP reset: no TIME_WAIT left on this side).</summary>
    public void Dispose()
    {
        _closed = true;
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        _socket.Dispose();
        _ready.TrySetException(new IOException("connection closed"));
    }

    /// <summary>One masked text frame whose payload is a + b + c.</summary>
    private void Send(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c) => SendFrame(0x81, a, b, c);

    private void SendFrame(byte opcode, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        var length = a.Length + b.Length + c.Length;
        var header = length < 126 ? 2 : length <= ushort.MaxValue ? 4 : 10;
        var total = header + 4 + length;
        lock (_sendLock)
        {
            if (_closed)
            {
                return;
            }

            if (_tx.Length < total)
            {
                _tx = new byte[Math.Max(total, _tx.Length * 2)];
            }

            var frame = _tx.AsSpan(0, total);
            frame[0] = opcode;
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

            _mask.CopyTo(frame[header..]);
            var payload = frame[(header + 4)..];
            a.CopyTo(payload);
            b.CopyTo(payload[a.Length..]);
            c.CopyTo(payload[(a.Length + b.Length)..]);
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= _mask[i & 3];
            }

            try
            {
                var sent = 0;
                while (sent < total)
                {
                    sent += _socket.Send(frame[sent..], SocketFlags.None);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                _closed = true;
            }
        }
    }

    private async Task ReceiveLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (!_closed)
            {
                if (_rxLength == _rx.Length)
                {
                    Array.Resize(ref _rx, _rx.Length * 2);
                }

                var n = await _socket.ReceiveAsync(_rx.AsMemory(_rxLength), SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                _rxLength += n;
                var used = Parse(_rx.AsSpan(0, _rxLength));
                if (used > 0)
                {
                    Buffer.BlockCopy(_rx, used, _rx, 0, _rxLength - used);
                    _rxLength -= used;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidDataException)
        {
            error = ex;
        }
        finally
        {
            _closed = true;
            _ready.TrySetException(error ?? new IOException("connection closed before CONNECT"));
            foreach (var pending in _acks.Values)
            {
                pending.TrySetException(new IOException("connection closed"));
            }
        }
    }

    /// <summary>Handles every complete frame; returns the bytes consumed.</summary>
    private int Parse(ReadOnlySpan<byte> data)
    {
        var pos = 0;
        if (!_upgraded)
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

            _upgraded = true;
            pos = end + 4;
        }

        while (data.Length - pos >= 2)
        {
            var span = data[pos..];
            long length = span[1] & 0x7F;
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

            if ((span[0] & 0x80) == 0 || (span[1] & 0x80) != 0 || length > 64 * 1024 * 1024)
            {
                throw new InvalidDataException("fragmented, masked or huge frame from the server");
            }

            if (span.Length < header + length)
            {
                break;
            }

            var payload = span.Slice(header, (int)length);
            pos += header + (int)length;
            switch (span[0] & 0x0F)
            {
                case 0x1:
                    OnEngineText(payload);
                    break;
                case 0x8:
                    _closed = true;
                    return pos;
                case 0x9:
                    SendFrame(0x8A, payload, default, default);
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
            case (byte)'0':
                Send(_connectPacket, default, default);
                break;
            case (byte)'2':
                Send("3"u8, packet[1..], default);
                break;
            case (byte)'4' when packet.Length > 1:
                OnSocketIO(packet[1], packet[2..]);
                break;
            default:
                break;
        }
    }

    private void OnSocketIO(byte type, ReadOnlySpan<byte> rest)
    {
        switch (type)
        {
            case (byte)'2':
                OnEvent?.Invoke(this, rest);
                break;
            case (byte)'3':
                if (Utf8Parser.TryParse(rest, out long id, out var digits) && _acks.TryRemove(id, out var tcs))
                {
                    tcs.TrySetResult(Encoding.UTF8.GetString(rest[digits..]));
                }

                break;
            case (byte)'0':
                {
                    var at = rest.IndexOf("\"sid\":\""u8);
                    if (at < 0)
                    {
                        throw new InvalidDataException("CONNECT answer without sid");
                    }

                    var sid = rest[(at + 7)..];
                    Sid = Encoding.UTF8.GetString(sid[..sid.IndexOf((byte)'"')]);
                    _ready.TrySetResult();
                    break;
                }

            case (byte)'4':
                _ready.TrySetException(new InvalidDataException("CONNECT_ERROR " + Encoding.UTF8.GetString(rest)));
                break;
            default:
                break;
        }
    }

    /// <summary>The digits after <paramref name="key"/> (e.g. <c>"ts":</c>), or -1.</summary>
    public static long NumberAfter(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        var at = json.IndexOf(key);
        return at >= 0 && Utf8Parser.TryParse(json[(at + key.Length)..], out long value, out _) ? value : -1;
    }

    /// <summary>The string after <paramref name="key"/> (e.g. <c>"invitationId":"</c>) up to the next quote, or null.</summary>
    public static string? StringAfter(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        var at = json.IndexOf(key);
        if (at < 0)
        {
            return null;
        }

        var rest = json[(at + key.Length)..];
        var end = rest.IndexOf((byte)'"');
        return end < 0 ? null : Encoding.UTF8.GetString(rest[..end]);
    }
}
