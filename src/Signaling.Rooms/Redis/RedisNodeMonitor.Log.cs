using Microsoft.Extensions.Logging;

namespace Signaling.Rooms.Redis;

public sealed partial class RedisNodeMonitor
{
    private static partial class Log
    {
        [LoggerMessage(310, LogLevel.Warning, "Node heartbeat or check failed; retrying at the next tick.", EventName = "NodeTickFailed")]
        public static partial void TickFailed(ILogger logger, Exception exception);

        [LoggerMessage(311, LogLevel.Warning, "Node {NodeId} found its heartbeat gone: it was presumed dead or Redis lost its data.", EventName = "NodePresumedDead")]
        public static partial void PresumedDead(ILogger logger, string nodeId);

        [LoggerMessage(312, LogLevel.Warning, "Node {NodeId} put back {Count} peer(s) that had been evicted from the directory.", EventName = "NodeResynced")]
        public static partial void Resynced(ILogger logger, string nodeId, int count);

        [LoggerMessage(313, LogLevel.Warning, "Node {DeadNodeId} stopped sending heartbeats; {NodeId} cleans up after it.", EventName = "NodeDead")]
        public static partial void NodeDead(ILogger logger, string deadNodeId, string nodeId);

        [LoggerMessage(314, LogLevel.Information, "Evicted {Count} peer(s) of dead node {DeadNodeId}.", EventName = "NodeCleaned")]
        public static partial void NodeCleaned(ILogger logger, string deadNodeId, int count);

        [LoggerMessage(315, LogLevel.Information, "Node {DeadNodeId} came back during its cleanup.", EventName = "NodeCameBack")]
        public static partial void NodeCameBack(ILogger logger, string deadNodeId);

        [LoggerMessage(316, LogLevel.Warning, "Lost the cleanup lease of node {DeadNodeId} to another node.", EventName = "NodeCleanupLost")]
        public static partial void CleanupLost(ILogger logger, string deadNodeId);

        [LoggerMessage(317, LogLevel.Error, "Cleanup after node {DeadNodeId} failed; another node retries when the lease ends.", EventName = "NodeCleanupFailed")]
        public static partial void CleanupFailed(ILogger logger, Exception exception, string deadNodeId);

        [LoggerMessage(318, LogLevel.Error, "A node failure handler failed for node {DeadNodeId}.", EventName = "NodeFailureHandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string deadNodeId);

        [LoggerMessage(319, LogLevel.Information, "Node {NodeId} removed its heartbeat on shutdown.", EventName = "NodeGoodbye")]
        public static partial void Goodbye(ILogger logger, string nodeId);

        [LoggerMessage(320, LogLevel.Warning, "Node could not remove its heartbeat on shutdown; it expires by itself.", EventName = "NodeGoodbyeFailed")]
        public static partial void GoodbyeFailed(ILogger logger, Exception exception);
    }
}
