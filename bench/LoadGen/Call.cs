using System.Net;
using System.Text;

namespace LoadGen;

/// <summary>
/// One complete call: A and B connect, A joins a fresh room, B joins it (its ack names A), B sends the offer,
/// A answers and sends 4 candidates, B sends 4 candidates once it has the answer; every exchange is acked;
/// then both disconnect (WebSocket close handshake).
/// </summary>
internal sealed class Call : IClientHandler
{
    private const int CandidatesEachWay = 4;
    private const int Expected = 1 + CandidatesEachWay;

    // An SDP-sized string (about 1.6 KB), the bulk of a real offer/answer.
    private static readonly string Sdp = string.Concat(Enumerable.Range(0, 24).Select(i =>
        $"a=candidate:{i} 1 udp 2122260223 192.0.2.{i} {50000 + i} typ host generation 0 network-id 1\\r\\n"));

    // Continuations of these run inline on the receive loop that completes them; they only queue frames and await again.
    private readonly TaskCompletionSource _joinA = new();
    private readonly TaskCompletionSource _joinB = new();
    private readonly TaskCompletionSource _done = new();
    private SioClient? _a;
    private SioClient? _b;
    private int _aEvents;
    private int _bEvents;
    private int _aAcks;
    private int _bAcks;
    private int _errors;

    public static async Task<bool> RunAsync(IPEndPoint endpoint, byte[] request, long number)
    {
        var call = new Call();
        try
        {
            return await call.RunAsync(endpoint, request, $"call-{number}");
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            return false;
        }
        finally
        {
            await Task.WhenAll(Close(call._a), Close(call._b));
        }

        static Task Close(SioClient? client) => client?.CloseAsync(Clients.CloseTimeout) ?? Task.CompletedTask;
    }

    private async Task<bool> RunAsync(IPEndPoint endpoint, byte[] request, string room)
    {
        var connectA = SioClient.ConnectAsync(endpoint, request, this, Clients.ConnectTimeout, 4096);
        var connectB = SioClient.ConnectAsync(endpoint, request, this, Clients.ConnectTimeout, 4096);
        try
        {
            _a = await connectA;
        }
        finally
        {
            _b = await connectB;
        }

        var join = Encoding.UTF8.GetBytes($"[\"join\",\"{room}\"]");
        _a.Emit(join, withAck: true);
        _a.Flush();
        await _joinA.Task.WaitAsync(TimeSpan.FromSeconds(10));
        _b!.Emit(join, withAck: true);
        _b.Flush();
        await _joinB.Task.WaitAsync(TimeSpan.FromSeconds(10));

        _b.Emit(Exchange(PeerOfB!, "offer"), withAck: true);
        _b.Flush();
        await _done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return Volatile.Read(ref _errors) == 0;
    }

    private string? PeerOfB { get; set; }

    public void OnEvent(SioClient client, ReadOnlySpan<byte> packet)
    {
        if (!packet.StartsWith("[\"exchange\","u8))
        {
            return;
        }

        if (ReferenceEquals(client, _a))
        {
            if (Interlocked.Increment(ref _aEvents) == 1)
            {
                // The offer: answer it, then trickle candidates.
                var from = StringAfter(packet, "\"from\":\""u8);
                if (packet.IndexOf("\"type\":\"offer\""u8) < 0 || from is null)
                {
                    Interlocked.Increment(ref _errors);
                    _done.TrySetResult();
                    return;
                }

                client.Emit(Exchange(from, "answer"), withAck: true);
                for (var i = 0; i < CandidatesEachWay; i++)
                {
                    client.Emit(Candidate(from, i), withAck: true);
                }
            }
        }
        else if (Interlocked.Increment(ref _bEvents) == 1)
        {
            // The answer: now B trickles its candidates.
            if (packet.IndexOf("\"type\":\"answer\""u8) < 0)
            {
                Interlocked.Increment(ref _errors);
                _done.TrySetResult();
                return;
            }

            for (var i = 0; i < CandidatesEachWay; i++)
            {
                client.Emit(Candidate(PeerOfB!, i), withAck: true);
            }
        }

        CheckDone();
    }

    public void OnAck(SioClient client, long id, ReadOnlySpan<byte> args)
    {
        var isA = ReferenceEquals(client, _a);
        if (id == 0)
        {
            if (isA)
            {
                _joinA.TrySetResult();
            }
            else
            {
                // ["<A's id>"]: B learns whom to call.
                PeerOfB = StringAfter(args, "[[\""u8);
                if (PeerOfB is null)
                {
                    Interlocked.Increment(ref _errors);
                    _joinB.TrySetException(new InvalidDataException("B's join ack names nobody"));
                }
                else
                {
                    _joinB.TrySetResult();
                }
            }

            return;
        }

        if (!args.StartsWith("[null]"u8))
        {
            Interlocked.Increment(ref _errors);
        }

        Interlocked.Increment(ref isA ? ref _aAcks : ref _bAcks);
        CheckDone();
    }

    private void CheckDone()
    {
        if (Volatile.Read(ref _aEvents) >= Expected && Volatile.Read(ref _bEvents) >= Expected &&
            Volatile.Read(ref _aAcks) >= Expected && Volatile.Read(ref _bAcks) >= Expected)
        {
            _done.TrySetResult();
        }
    }

    private static string? StringAfter(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        var at = json.IndexOf(key);
        if (at < 0)
        {
            return null;
        }

        var rest = json[(at + key.Length)..];
        var end = rest.IndexOf((byte)'"');
        return end <= 0 ? null : Encoding.UTF8.GetString(rest[..end]);
    }

    private static byte[] Exchange(string to, string type)
        => Encoding.UTF8.GetBytes($"[\"exchange\",{{\"to\":\"{to}\",\"type\":\"{type}\",\"sdp\":{{\"type\":\"{type}\",\"sdp\":\"v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n{Sdp}\"}}}}]");

    private static byte[] Candidate(string to, int i)
        => Encoding.UTF8.GetBytes(Clients.CandidateJson(to).Replace("842163049", (842163049 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
}
