using Microsoft.Extensions.Logging;

namespace Signaling.Rooms.Redis;

public sealed partial class RedisRelayBus
{
    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Debug, "Node {NodeId} subscribed to its relay channel.", EventName = "RelaySubscribed")]
        public static partial void Subscribed(ILogger logger, string nodeId);

        [LoggerMessage(301, LogLevel.Warning, "Dropped a relay envelope: {Error}.", EventName = "RelayBadEnvelope")]
        public static partial void BadEnvelope(ILogger logger, string error);

        [LoggerMessage(302, LogLevel.Debug, "Relay message for {PeerId} arrived after it left this node.", EventName = "RelayPeerGone")]
        public static partial void PeerGone(ILogger logger, string peerId);
    }
}
