using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace Signaling.Server.Hubs;

/// <summary>Live SignalR connections of this node, so they can be aborted (e.g. after this node was presumed dead).</summary>
public sealed class HubConnections
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new(StringComparer.Ordinal);

    internal void Add(HubCallerContext context) => _connections[context.ConnectionId] = context;

    internal void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    /// <summary>Aborts a connection; false when it is not on this node.</summary>
    public bool Abort(string connectionId)
    {
        if (!_connections.TryGetValue(connectionId, out var context))
        {
            return false;
        }

        context.Abort();
        return true;
    }
}
