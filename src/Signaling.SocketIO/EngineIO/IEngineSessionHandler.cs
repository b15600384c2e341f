using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.EngineIO;

/// <summary>The layer above Engine.IO: told when sessions open, receive messages and close.</summary>
public interface IEngineSessionHandler
{
    /// <summary>A session completed its handshake; the open packet is already queued.</summary>
    ValueTask OnOpenAsync(EngineSession session);

    /// <summary>A message arrived. Calls for one session never overlap; the data is only valid during the call.</summary>
    ValueTask OnMessageAsync(EngineSession session, EnginePacket message);

    /// <summary>The session closed, for <paramref name="reason"/>. Called once.</summary>
    void OnClose(EngineSession session, string reason);
}
