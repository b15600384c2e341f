using Signaling.Rooms.Redis;
using Signaling.SocketIO.SocketIO;

namespace Signaling.Server.Realtime;

/// <summary>
/// When this node finds it was presumed dead (a pause or a Redis outage longer than <c>Cluster:NodeTimeout</c>), another
/// node has already removed its sockets from every room and from presence: they are connected but reach nobody and are
/// not rung. Closing their Engine.IO sessions makes the clients reconnect and join again. A transport close, not a
/// Socket.IO DISCONNECT packet: socket.io-client does not reconnect after an "io server disconnect".
/// </summary>
internal sealed partial class EvictedSocketCloser(SocketIOServer io, Hubs.HubConnections hubConnections, ILogger<EvictedSocketCloser> logger) : INodeFailureHandler
{
    public Task OnNodeFailedAsync(NodeFailure failure, CancellationToken cancellationToken)
    {
        if (!failure.IsThisNode)
        {
            return Task.CompletedTask;
        }

        io.TryGetNamespace("/", out var nsp);
        var closed = 0;
        foreach (var peerId in failure.PeerIds)
        {
            if (nsp is not null && nsp.TryGetSocket(peerId, out var socket))
            {
                socket.Session.Close("evicted: this node was presumed dead");
                closed++;
            }
            else if (hubConnections.Abort(peerId))
            {
                closed++;
            }
        }

        Log.Closed(logger, closed, failure.PeerIds.Count);
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(220, LogLevel.Warning, "Closed {Count} Socket.IO/SignalR connection(s) of the {Evicted} evicted while this node was presumed dead, so that their clients rejoin")]
        public static partial void Closed(ILogger logger, int count, int evicted);
    }
}
