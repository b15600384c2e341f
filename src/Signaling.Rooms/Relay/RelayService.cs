using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Signaling.Rooms.Relay;

/// <summary>A relay request refused: a stable code and a message for the client.</summary>
/// <param name="Code">One of <c>invalid_room</c>, <c>room_full</c>, <c>too_many_rooms</c>, <c>bad_request</c>, <c>unknown_peer</c>.</param>
/// <param name="Message">What was wrong.</param>
public sealed record RelayError(string Code, string Message);

/// <summary>
/// The seed signaling protocol, independent of the transport: <c>join</c> returns who is already in the room,
/// <c>exchange</c> forwards an object to one peer with <c>from</c> set by the server, and peers that leave or
/// disconnect are announced with <c>leave</c> to the rest of each room.
/// </summary>
public sealed partial class RelayService
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Signaling.Relay";

    private readonly IRoomStore _rooms;
    private readonly IRelayBus _bus;
    private readonly IOptionsMonitor<RelayOptions> _options;
    private readonly ILogger<RelayService> _logger;
    private static readonly KeyValuePair<string, object?>[] ExchangeTag = [new("event", "exchange")];
    private static readonly KeyValuePair<string, object?>[] LeaveTag = [new("event", "leave")];

    // Counted on every message: plain fields read when the meter is collected cost far less than a measurement per
    // message through a listener.
    private long _exchanges;
    private long _leaves;
    private readonly Counter<long> _refused;

    // The rooms of the peers connected to this node. Every join and leave of a local peer goes through this service,
    // so whether two local peers share a room is answered here, without a store round trip per exchange (with Redis,
    // one SINTER per message). A peer on another node is checked in the store.
    private readonly ConcurrentDictionary<string, string[]> _localRooms = new(StringComparer.Ordinal);

    /// <summary>Creates the service.</summary>
    public RelayService(IRoomStore rooms, IRelayBus bus, IOptionsMonitor<RelayOptions> options, IMeterFactory meterFactory, ILogger<RelayService> logger)
    {
        _rooms = rooms;
        _bus = bus;
        _options = options;
        _logger = logger;
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter(
            "messages",
            () => (Measurement<long>[])[new(Volatile.Read(ref _exchanges), ExchangeTag), new(Volatile.Read(ref _leaves), LeaveTag)],
            description: "Relay messages delivered, by event.");
        _refused = meter.CreateCounter<long>("errors", description: "Relay requests refused, by code.");
    }

    /// <summary>Registers a connected peer so others can reach it.</summary>
    public ValueTask ConnectAsync(IRelayPeer peer, CancellationToken cancellationToken = default) => _bus.RegisterAsync(peer, cancellationToken);

    /// <summary>Joins a room; returns the ids already in it (the joiner excluded), or an error.</summary>
    public async ValueTask<(IReadOnlyList<string>? Members, RelayError? Error)> JoinAsync(string peerId, JsonElement roomId, CancellationToken cancellationToken = default)
    {
        var options = _options.CurrentValue;
        if (ValidateRoomId(roomId, options) is { } invalid)
        {
            return (null, Refuse(invalid));
        }

        var room = roomId.GetString()!;
        // The joiner is connected here, so this node's record of its rooms is complete.
        var current = _localRooms.TryGetValue(peerId, out var rooms) ? rooms : [];
        if (current.Length >= options.MaxRoomsPerPeer && !current.Contains(room))
        {
            return (null, Refuse(new RelayError("too_many_rooms", $"A connection may be in at most {options.MaxRoomsPerPeer} rooms.")));
        }

        var members = await _rooms.JoinAsync(room, peerId, options.MaxRoomSize, cancellationToken);
        if (members is null)
        {
            return (null, Refuse(new RelayError("room_full", $"The room already has {options.MaxRoomSize} members.")));
        }

        _localRooms.AddOrUpdate(peerId, static (_, room) => [room], static (_, rooms, room) => rooms.Contains(room) ? rooms : [.. rooms, room], room);
        Log.Joined(_logger, peerId, members.Count);
        return (members, null);
    }

    /// <summary>Forwards an <c>exchange</c> object to its <c>to</c> peer with <c>from</c> added.</summary>
    public async ValueTask<RelayError?> ExchangeAsync(string fromPeerId, JsonElement payload, CancellationToken cancellationToken = default)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return Refuse(new RelayError("bad_request", "exchange expects an object with a string 'to' field."));
        }

        if (!payload.TryGetProperty("to"u8, out var toElement) || toElement.ValueKind != JsonValueKind.String || toElement.GetString() is not { Length: > 0 } to)
        {
            return Refuse(new RelayError("bad_request", "exchange needs a non-empty string 'to' field."));
        }

        if (_options.CurrentValue.RequireSharedRoom && !await ShareRoomAsync(fromPeerId, to, cancellationToken))
        {
            return Refuse(new RelayError("unknown_peer", "No peer with that id shares a room with you."));
        }

        var argument = WithFrom(payload, fromPeerId);
        if (!await _bus.SendAsync(to, new RelayMessage("exchange", argument), cancellationToken))
        {
            return Refuse(new RelayError("unknown_peer", "No peer with that id is connected."));
        }

        Interlocked.Increment(ref _exchanges);
        return null;
    }

    /// <summary>Leaves one room and tells the rest of it.</summary>
    public async ValueTask<RelayError?> LeaveAsync(string peerId, JsonElement roomId, CancellationToken cancellationToken = default)
    {
        if (ValidateRoomId(roomId, _options.CurrentValue) is { } invalid)
        {
            return Refuse(invalid);
        }

        var room = roomId.GetString()!;
        ForgetRoom(peerId, room);
        var remaining = await _rooms.LeaveAsync(room, peerId, cancellationToken);
        if (remaining is not null)
        {
            await AnnounceLeaveAsync(peerId, remaining, cancellationToken);
        }

        return null;
    }

    /// <summary>A peer disconnected: it leaves every room, each told with <c>leave</c>.</summary>
    public async ValueTask DisconnectAsync(string peerId, CancellationToken cancellationToken = default)
    {
        await _bus.UnregisterAsync(peerId, cancellationToken);
        _localRooms.TryRemove(peerId, out _);
        foreach (var (_, remaining) in await _rooms.LeaveAllAsync(peerId, cancellationToken))
        {
            await AnnounceLeaveAsync(peerId, remaining, cancellationToken);
        }
    }

    /// <summary>Sends <c>leave</c> with <paramref name="peerId"/> to each of <paramref name="recipients"/>.</summary>
    public async ValueTask AnnounceLeaveAsync(string peerId, IReadOnlyList<string> recipients, CancellationToken cancellationToken = default)
    {
        if (recipients.Count == 0)
        {
            return;
        }

        var message = new RelayMessage("leave", JsonSerializer.SerializeToUtf8Bytes(peerId));
        foreach (var recipient in recipients)
        {
            if (await _bus.SendAsync(recipient, message, cancellationToken))
            {
                Interlocked.Increment(ref _leaves);
            }
        }
    }

    /// <summary>
    /// Forgets what this node knows of the rooms of <paramref name="peerIds"/>: another node removed them from every
    /// room while this one was presumed dead.
    /// </summary>
    public void ForgetRooms(IEnumerable<string> peerIds)
    {
        foreach (var peerId in peerIds)
        {
            _localRooms.TryRemove(peerId, out _);
        }
    }

    private async ValueTask<bool> ShareRoomAsync(string fromPeerId, string to, CancellationToken cancellationToken)
    {
        // The sender is always connected here; so is the target when this node knows its rooms.
        if (_localRooms.TryGetValue(to, out var theirs))
        {
            return _localRooms.TryGetValue(fromPeerId, out var mine) && mine.AsSpan().ContainsAny(theirs);
        }

        return await _rooms.ShareRoomAsync(fromPeerId, to, cancellationToken);
    }

    private void ForgetRoom(string peerId, string room)
    {
        while (_localRooms.TryGetValue(peerId, out var rooms) && rooms.Contains(room))
        {
            var remaining = rooms.Where(r => r != room).ToArray();
            if (remaining.Length == 0
                ? _localRooms.TryRemove(new KeyValuePair<string, string[]>(peerId, rooms))
                : _localRooms.TryUpdate(peerId, remaining, rooms))
            {
                return;
            }
        }
    }

    private static ReadOnlySpan<byte> FromName => "\"from\":\""u8;

    /// <summary>The object's JSON with <c>from</c> set to the sender, replacing any <c>from</c> the client put there.</summary>
    internal static byte[] WithFrom(JsonElement payload, string from)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(payload);
        if (!payload.TryGetProperty("from"u8, out _))
        {
            // Fast path: splice the field in before the closing brace; the client's bytes stay untouched.
            var id = JsonEncodedText.Encode(from, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes;
            var close = raw.LastIndexOf((byte)'}');
            var separator = payload.EnumerateObject().MoveNext() ? ","u8 : ""u8;
            var result = new byte[close + separator.Length + FromName.Length + id.Length + 2];
            var span = result.AsSpan();
            raw[..close].CopyTo(span);
            span = span[close..];
            separator.CopyTo(span);
            span = span[separator.Length..];
            FromName.CopyTo(span);
            span = span[FromName.Length..];
            id.CopyTo(span);
            "\"}"u8.CopyTo(span[id.Length..]);
            return result;
        }

        var buffer = new ArrayBufferWriter<byte>(raw.Length + from.Length + 16);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            foreach (var property in payload.EnumerateObject())
            {
                if (!property.NameEquals("from"u8))
                {
                    property.WriteTo(json);
                }
            }

            json.WriteString("from"u8, from);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static RelayError? ValidateRoomId(JsonElement roomId, RelayOptions options)
    {
        if (roomId.ValueKind != JsonValueKind.String || roomId.GetString() is not { Length: > 0 } room)
        {
            return new RelayError("invalid_room", "The room id must be a non-empty string.");
        }

        return room.Length > options.MaxRoomIdLength
            ? new RelayError("invalid_room", $"The room id is longer than {options.MaxRoomIdLength} characters.")
            : null;
    }

    private RelayError Refuse(RelayError error)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("code", error.Code));
        return error;
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Debug, "Peer {PeerId} joined a room with {Count} other members")]
        public static partial void Joined(ILogger logger, string peerId, int count);
    }
}
