namespace Signaling.Push.Devices;

/// <summary>Registered push devices, keyed by user id and device id. Implementations are thread-safe.</summary>
public interface IDeviceStore
{
    /// <summary>Adds the device or replaces the record with the same user id and device id.</summary>
    Task UpsertAsync(PushDevice device, CancellationToken cancellationToken = default);

    /// <summary>The device, or null when it is not registered.</summary>
    Task<PushDevice?> GetAsync(string userId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>All devices of the user, ordered by device id; empty when none.</summary>
    Task<IReadOnlyList<PushDevice>> GetForUserAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Removes the device; false when it was not registered.</summary>
    Task<bool> DeleteAsync(string userId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Clears the token of the given kind when the push service called it dead, but only while the device still
    /// holds <paramref name="token"/> (a re-registration with a fresh token wins); false when nothing changed.
    /// </summary>
    Task<bool> RemoveTokenAsync(string userId, string deviceId, PushTokenKind kind, string token, CancellationToken cancellationToken = default);
}
