using System.Text.Json;
using Microsoft.Extensions.Options;
using Signaling.Push.Devices;
using StackExchange.Redis;

namespace Signaling.Push.Redis;

/// <summary>
/// <see cref="IDeviceStore"/> in Redis, shared by every node: one hash per user, device id to the device's JSON.
/// Removing a dead token is a compare-and-set on the whole record, so a re-registration in between always wins.
/// </summary>
public sealed class RedisDeviceStore : IDeviceStore
{
    // KEYS[1] the user's devices; ARGV[1] device id, ARGV[2] the record read, ARGV[3] its replacement.
    private const string ReplaceIfUnchangedScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
          return 0
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        return 1
        """;

    // Each lost round means another writer changed this very device in between; that many in a row is a fault.
    private const int MaxAttempts = 32;

    private readonly IConnectionMultiplexer _redis;
    private readonly PushRedisKeys _keys;

    /// <summary>Creates the store on the process's multiplexer.</summary>
    public RedisDeviceStore(IConnectionMultiplexer redis, IOptions<PushRedisOptions> options)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _keys = new PushRedisKeys(options.Value.KeyPrefix);
    }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc />
    public async Task UpsertAsync(PushDevice device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrEmpty(device.UserId);
        ArgumentException.ThrowIfNullOrEmpty(device.DeviceId);
        if (!Enum.IsDefined(device.Platform))
        {
            throw new ArgumentException($"Unknown platform '{device.Platform}'.", nameof(device));
        }

        cancellationToken.ThrowIfCancellationRequested();
        await Db.HashSetAsync(_keys.Devices(device.UserId), device.DeviceId, Serialize(device));
    }

    /// <inheritdoc />
    public async Task<PushDevice?> GetAsync(string userId, string deviceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(deviceId);
        cancellationToken.ThrowIfCancellationRequested();
        var stored = await Db.HashGetAsync(_keys.Devices(userId), deviceId);
        return stored.IsNull ? null : Deserialize(stored);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PushDevice>> GetForUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        cancellationToken.ThrowIfCancellationRequested();
        var entries = await Db.HashGetAllAsync(_keys.Devices(userId));
        return entries.Length == 0
            ? []
            : [.. entries.Select(e => Deserialize(e.Value)).OrderBy(d => d.DeviceId, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string userId, string deviceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(deviceId);
        cancellationToken.ThrowIfCancellationRequested();

        // Redis drops the hash with its last field, so a user without devices leaves no key behind.
        return await Db.HashDeleteAsync(_keys.Devices(userId), deviceId);
    }

    /// <inheritdoc />
    public async Task<bool> RemoveTokenAsync(string userId, string deviceId, PushTokenKind kind, string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(token);
        var key = _keys.Devices(userId);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var db = Db;
            var stored = await db.HashGetAsync(key, deviceId);
            if (stored.IsNull)
            {
                return false;
            }

            var device = Deserialize(stored);
            if (!string.Equals(device.GetToken(kind), token, StringComparison.Ordinal))
            {
                return false;
            }

            var replaced = await db.ScriptEvaluateAsync(
                ReplaceIfUnchangedScript, [key], [deviceId, stored, Serialize(device.WithoutToken(kind))]);
            if ((long)replaced == 1)
            {
                return true;
            }
        }

        throw new InvalidOperationException($"The device record changed {MaxAttempts} times in a row while removing a token; giving up.");
    }

    private static string Serialize(PushDevice device) => JsonSerializer.Serialize(device, PushRedisJson.Default.PushDevice);

    private static PushDevice Deserialize(RedisValue stored) =>
        JsonSerializer.Deserialize((string)stored!, PushRedisJson.Default.PushDevice)
        ?? throw new InvalidOperationException("A stored device record is null.");
}
