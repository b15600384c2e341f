using System.ComponentModel.DataAnnotations;

namespace Signaling.Rooms.Relay;

/// <summary>Relay limits (configuration section <c>Relay</c>).</summary>
public sealed class RelayOptions
{
    /// <summary>Longest room id, in UTF-16 code units. Default 128.</summary>
    [Range(1, 4096)]
    public int MaxRoomIdLength { get; set; } = 128;

    /// <summary>Most peers in one room; 0 means no limit. Default 0.</summary>
    [Range(0, 100_000)]
    public int MaxRoomSize { get; set; }

    /// <summary>Most rooms one peer may be in at once. Default 32.</summary>
    [Range(1, 10_000)]
    public int MaxRoomsPerPeer { get; set; } = 32;

    /// <summary>Relay <c>exchange</c> only between peers that share a room. Default true.</summary>
    public bool RequireSharedRoom { get; set; } = true;
}
