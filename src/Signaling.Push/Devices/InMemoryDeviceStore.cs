namespace Signaling.Push.Devices;

/// <summary>A process-local <see cref="IDeviceStore"/>; the default registration of <c>AddPush()</c>.</summary>
public sealed class InMemoryDeviceStore : IDeviceStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, PushDevice>> _byUser = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task UpsertAsync(PushDevice device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrEmpty(device.UserId);
        ArgumentException.ThrowIfNullOrEmpty(device.DeviceId);
        if (!Enum.IsDefined(device.Platform))
        {
            throw new ArgumentException($"Unknown platform '{device.Platform}'.", nameof(device));
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_byUser.TryGetValue(device.UserId, out var devices))
            {
                devices = new SortedDictionary<string, PushDevice>(StringComparer.Ordinal);
                _byUser.Add(device.UserId, devices);
            }

            devices[device.DeviceId] = device;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<PushDevice?> GetAsync(string userId, string deviceId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(_byUser.TryGetValue(userId, out var devices) && devices.TryGetValue(deviceId, out var device) ? device : null);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PushDevice>> GetForUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            IReadOnlyList<PushDevice> result = _byUser.TryGetValue(userId, out var devices) ? [.. devices.Values] : [];
            return Task.FromResult(result);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string userId, string deviceId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_byUser.TryGetValue(userId, out var devices) || !devices.Remove(deviceId))
            {
                return Task.FromResult(false);
            }

            if (devices.Count == 0)
            {
                _byUser.Remove(userId);
            }

            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<bool> RemoveTokenAsync(string userId, string deviceId, PushTokenKind kind, string token, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_byUser.TryGetValue(userId, out var devices)
                || !devices.TryGetValue(deviceId, out var device)
                || !string.Equals(device.GetToken(kind), token, StringComparison.Ordinal))
            {
                return Task.FromResult(false);
            }

            devices[deviceId] = device.WithoutToken(kind);
            return Task.FromResult(true);
        }
    }
}
