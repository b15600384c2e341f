using Microsoft.Extensions.Logging;

namespace Signaling.SocketIO.EngineIO;

public sealed partial class EngineSession
{
    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Warning, "Engine.IO session {Sid}: send queue full, closing the slow client")]
        public static partial void QueueFull(ILogger logger, string sid);
    }
}
