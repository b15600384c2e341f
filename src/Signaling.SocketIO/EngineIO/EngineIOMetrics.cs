using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Signaling.SocketIO.EngineIO;

/// <summary>Engine.IO instruments on the <c>Signaling.SocketIO</c> meter.</summary>
public sealed class EngineIOMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Signaling.SocketIO";

    // Open sessions by protocol (3, 4) and transport (polling, websocket), read when the meter is observed: an exact
    // figure whatever the exporter does with deltas (a listener that starts late, series that expire).
    private readonly long[] _active = new long[4];
    private readonly Counter<long> _opened;
    private readonly Counter<long> _closed;
    // Packets are counted on every message: plain fields read at collection cost far less than a measurement per
    // packet through a listener (prometheus-net's adapter looks up the series under a lock for each one).
    private long _packetsIn;
    private long _packetsOut;
    private readonly Counter<long> _upgrades;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _directWebSockets;

    /// <summary>Creates the instruments.</summary>
    public EngineIOMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableUpDownCounter("engineio.connections.active", ObserveActive, description: "Open Engine.IO sessions by protocol and transport.");
        _opened = meter.CreateCounter<long>("engineio.connections.opened", description: "Engine.IO handshakes completed.");
        _closed = meter.CreateCounter<long>("engineio.connections.closed", description: "Engine.IO sessions closed, by reason.");
        meter.CreateObservableCounter("engineio.packets.received", () => Volatile.Read(ref _packetsIn), description: "Engine.IO packets received.");
        meter.CreateObservableCounter("engineio.packets.sent", () => Volatile.Read(ref _packetsOut), description: "Engine.IO packets queued for sending.");
        _upgrades = meter.CreateCounter<long>("engineio.upgrades", description: "Polling sessions upgraded to WebSocket.");
        _errors = meter.CreateCounter<long>("engineio.errors", description: "Requests refused and sessions closed on protocol errors.");
        _directWebSockets = meter.CreateCounter<long>("engineio.websockets.direct", description: "WebSocket handshakes served on the connection itself, without Kestrel's HTTP request state.");
    }

    internal void Opened(int protocol, EngineTransportKind transport)
    {
        _opened.Add(1, Tags(protocol, transport));
        Interlocked.Increment(ref _active[Slot(protocol, transport)]);
    }

    internal void Closed(int protocol, EngineTransportKind transport, string reason)
    {
        Interlocked.Decrement(ref _active[Slot(protocol, transport)]);
        _closed.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    internal void Upgraded(int protocol)
    {
        _upgrades.Add(1, new KeyValuePair<string, object?>("protocol", protocol));
        Interlocked.Decrement(ref _active[Slot(protocol, EngineTransportKind.Polling)]);
        Interlocked.Increment(ref _active[Slot(protocol, EngineTransportKind.WebSocket)]);
    }

    internal void DirectWebSocket() => _directWebSockets.Add(1);

    internal void PacketsIn(int count) => Interlocked.Add(ref _packetsIn, count);

    internal void PacketsOut(int count) => Interlocked.Add(ref _packetsOut, count);

    internal void Error(string kind) => _errors.Add(1, new KeyValuePair<string, object?>("kind", kind));

    private static int Slot(int protocol, EngineTransportKind transport)
        => (protocol == 4 ? 2 : 0) + (transport == EngineTransportKind.WebSocket ? 1 : 0);

    private Measurement<long>[] ObserveActive() =>
    [
        Active(3, EngineTransportKind.Polling),
        Active(3, EngineTransportKind.WebSocket),
        Active(4, EngineTransportKind.Polling),
        Active(4, EngineTransportKind.WebSocket),
    ];

    private Measurement<long> Active(int protocol, EngineTransportKind transport)
        => new(Volatile.Read(ref _active[Slot(protocol, transport)]), Tags(protocol, transport));

    private static TagList Tags(int protocol, EngineTransportKind transport) => new()
    {
        { "protocol", protocol },
        { "transport", transport == EngineTransportKind.Polling ? "polling" : "websocket" },
    };
}
