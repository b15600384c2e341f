using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.EngineIO;

/// <summary>
/// One Engine.IO endpoint: its sessions, the single heartbeat loop that serves all of them, and shutdown.
/// </summary>
public sealed partial class EngineIOServer : IAsyncDisposable
{
    private static readonly TimeSpan MinHeartbeatDelay = TimeSpan.FromMilliseconds(1);

    private readonly ConcurrentDictionary<string, EngineSession> _sessions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _heartbeat;
    private int _accepting = 1;
    private int _disposed;
    private long _heartbeatWakeAt;
    private TaskCompletionSource? _heartbeatWake;

    /// <summary>Creates an endpoint.</summary>
    public EngineIOServer(EngineIOOptions options, IEngineSessionHandler handler, TimeProvider time, EngineIOMetrics metrics, ILogger logger)
    {
        Options = options;
        Handler = handler;
        Time = time;
        Metrics = metrics;
        Logger = logger;
        _heartbeat = RunHeartbeatAsync(_stopping.Token);
    }

    /// <summary>The endpoint's options.</summary>
    public EngineIOOptions Options { get; }

    /// <summary>Open sessions.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>False once shutdown began: new handshakes are refused.</summary>
    public bool IsAccepting => Volatile.Read(ref _accepting) == 1;

    internal IEngineSessionHandler Handler { get; }

    internal TimeProvider Time { get; }

    internal EngineIOMetrics Metrics { get; }

    internal ILogger Logger { get; }

    /// <summary>Finds an open session.</summary>
    public bool TryGetSession(string sid, out EngineSession session) => _sessions.TryGetValue(sid, out session!);

    /// <summary>Finds an open session, first closing it if a heartbeat or connect deadline has passed.</summary>
    internal bool TryGetLiveSession(string sid, out EngineSession session)
        => _sessions.TryGetValue(sid, out session!) && !session.IsClosed && !session.CloseIfExpired(Time.GetTimestamp());

    internal long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Time.TimestampFrequency);

    internal bool IsAtCapacity => Options.MaxSessions > 0 && _sessions.Count >= Options.MaxSessions;

    internal async ValueTask<EngineSession> OpenSessionAsync(int protocol, EngineTransportKind transport, bool supportsBinary, EngineHandshake handshake)
    {
        EngineSession session;
        do
        {
            session = new EngineSession(this, RandomIds.New(), protocol, transport, supportsBinary, handshake);
        }
        while (!_sessions.TryAdd(session.Id, session));

        session.Send(EngineFrame.Text(OpenPacket(session.Id, protocol, transport)));
        Metrics.Opened(protocol, transport);
        Log.SessionOpened(Logger, session.Id, protocol, transport);
        try
        {
            await Handler.OnOpenAsync(session);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(Logger, session.Id, ex);
            session.Close("server error");
        }

        return session;
    }

    internal void OnSessionClosed(EngineSession session, string reason)
    {
        _sessions.TryRemove(session.Id, out _);
        Metrics.Closed(session.Protocol, session.Transport, reason);
        Log.SessionClosed(Logger, session.Id, reason);
        try
        {
            Handler.OnClose(session, reason);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(Logger, session.Id, ex);
        }
    }

    /// <summary>Stops accepting handshakes and closes every session: clients get their close frame or close packet.</summary>
    public void BeginShutdown()
    {
        Volatile.Write(ref _accepting, 0);
        foreach (var session in _sessions.Values)
        {
            session.Close("server shutting down");
        }
    }

    /// <summary>Stops accepting handshakes, closes every session and waits up to <paramref name="timeout"/> for them to go.</summary>
    public async Task ShutdownAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        BeginShutdown();

        var deadline = Stopwatch.StartNew();
        while (!_sessions.IsEmpty && deadline.Elapsed < timeout && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // The container disposes the endpoints twice (as a singleton and as the hosted service built from it).
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        try
        {
            await _heartbeat;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    /// <summary>Makes the heartbeat loop run by <paramref name="due"/> if it would otherwise sleep past it.</summary>
    internal void WakeHeartbeatBy(long due)
    {
        if (due < Volatile.Read(ref _heartbeatWakeAt))
        {
            Volatile.Read(ref _heartbeatWake)?.TrySetResult();
        }
    }

    private async Task RunHeartbeatAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();

        // One loop for every session. Each round sleeps until the earliest deadline of any session (at most a
        // fraction of the shortest interval, for sessions opened meanwhile), so pings go out on time: lateness
        // would add up over a connection's life, and a client pinged three times at 300 ms intervals must still
        // fit a 1 s connect timeout. Requests also check deadlines, so expiry never waits for this loop.
        var shortest = TimeSpan.FromTicks(Math.Min(Math.Min(Options.PingInterval.Ticks, Options.PingTimeout.Ticks), Options.UpgradeTimeout.Ticks));
        var period = ToTicks(TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 5, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks)));
        while (!cancellationToken.IsCancellationRequested)
        {
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _heartbeatWake, wake);
            var now = Time.GetTimestamp();
            var next = now + period;
            foreach (var session in _sessions.Values)
            {
                try
                {
                    next = Math.Min(next, session.Tick(now));
                }
                catch (Exception ex)
                {
                    Log.HandlerFailed(Logger, session.Id, ex);
                }
            }

            Volatile.Write(ref _heartbeatWakeAt, next);
            var delay = TimeSpan.FromSeconds((next - Time.GetTimestamp()) / (double)Time.TimestampFrequency);
            await Task.WhenAny(wake.Task, Task.Delay(delay > MinHeartbeatDelay ? delay : MinHeartbeatDelay, Time, cancellationToken));
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private byte[] OpenPacket(string sid, int protocol, EngineTransportKind transport)
    {
        var buffer = new ArrayBufferWriter<byte>(160);
        buffer.Write("0"u8);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("sid"u8, sid);
            json.WriteStartArray("upgrades"u8);
            if (transport == EngineTransportKind.Polling && Options.AllowUpgrades && Options.AllowWebSocket)
            {
                json.WriteStringValue("websocket"u8);
            }

            json.WriteEndArray();
            json.WriteNumber("pingInterval"u8, (long)Options.PingInterval.TotalMilliseconds);
            json.WriteNumber("pingTimeout"u8, (long)Options.PingTimeout.TotalMilliseconds);
            if (protocol >= 4)
            {
                json.WriteNumber("maxPayload"u8, Options.MaxPayload);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Engine.IO session {Sid} opened (EIO{Protocol}, {Transport})")]
        public static partial void SessionOpened(ILogger logger, string sid, int protocol, EngineTransportKind transport);

        [LoggerMessage(2, LogLevel.Debug, "Engine.IO session {Sid} closed: {Reason}")]
        public static partial void SessionClosed(ILogger logger, string sid, string reason);

        [LoggerMessage(3, LogLevel.Error, "Engine.IO session {Sid}: the handler failed")]
        public static partial void HandlerFailed(ILogger logger, string sid, Exception exception);
    }
}
