using System.ComponentModel.DataAnnotations;

namespace Signaling.SocketIO.EngineIO;

/// <summary>Engine.IO transport and heartbeat settings (configuration section <c>SocketIO:EngineIO</c>).</summary>
public sealed class EngineIOOptions
{
    /// <summary>How often the server pings (EIO4) or expects a ping (EIO3). Default 25 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>How long to wait for the answer to a ping before closing. Default 20 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a WebSocket upgrade may take from probe to upgrade packet. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan UpgradeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest accepted message or polling request body, in bytes. Default 1,000,000 (as socket.io's maxHttpBufferSize).</summary>
    [Range(64, 256 * 1024 * 1024)]
    public int MaxPayload { get; set; } = 1_000_000;

    /// <summary>Accept Engine.IO protocol 3 (socket.io-client 1.x and 2.x). Default true.</summary>
    public bool AllowEIO3 { get; set; } = true;

    /// <summary>Allow the HTTP long-polling transport. Default true.</summary>
    public bool AllowPolling { get; set; } = true;

    /// <summary>Allow the WebSocket transport. Default true.</summary>
    public bool AllowWebSocket { get; set; } = true;

    /// <summary>Offer the polling→WebSocket upgrade. Default true.</summary>
    public bool AllowUpgrades { get; set; } = true;

    /// <summary>Packets that may wait in one session's send queue before the session is closed as too slow. Default 4096.</summary>
    [Range(16, 1_000_000)]
    public int MaxQueuedPackets { get; set; } = 4096;

    /// <summary>Most concurrent sessions per node; further handshakes get HTTP 503. Default 0 (no limit).</summary>
    [Range(0, int.MaxValue)]
    public int MaxSessions { get; set; }

    /// <summary>
    /// Origins allowed by CORS: exact origins such as <c>https://app.example.com</c>, or <c>*</c> for any.
    /// The allowed origin is echoed with <c>Access-Control-Allow-Credentials: true</c>, as browsers require
    /// for credentialed polling. Empty (the default) sends no CORS headers.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];
}
