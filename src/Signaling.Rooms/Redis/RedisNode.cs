namespace Signaling.Rooms.Redis;

/// <summary>This process as one node of the cluster that shares a Redis: its id names its channel and heartbeat.</summary>
public sealed class RedisNode
{
    /// <summary>A node with a fresh id: the machine name and a GUID, so a restarted process is a new node.</summary>
    public RedisNode()
        : this($"{Environment.MachineName}_{Guid.NewGuid():N}")
    {
    }

    /// <summary>A node with the given id (tests).</summary>
    public RedisNode(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        Id = id;
    }

    /// <summary>The node id.</summary>
    public string Id { get; }

    /// <inheritdoc/>
    public override string ToString() => Id;
}
