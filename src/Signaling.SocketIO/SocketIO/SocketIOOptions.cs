using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace Signaling.SocketIO.SocketIO;

/// <summary>Socket.IO settings (configuration section <c>SocketIO</c>).</summary>
public sealed class SocketIOOptions
{
    /// <summary>How long an Engine.IO session may stay without joining a namespace before it is closed. Default 45 s (as socket.io).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How long <c>EmitWithAckAsync</c> waits for the client's ack by default. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deepest JSON nesting accepted in a packet. Default 32.</summary>
    [Range(1, 256)]
    public int MaxJsonDepth { get; set; } = 32;

    /// <summary>Serializer settings for values the server emits. Default: web defaults (camelCase).</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
