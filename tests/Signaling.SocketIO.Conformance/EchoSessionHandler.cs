using Signaling.SocketIO.EngineIO;
using Signaling.SocketIO.EngineIO.Protocol;

namespace Signaling.SocketIO.Conformance;

/// <summary>The bare Engine.IO endpoint of the Engine.IO suite: every message, text or binary, goes back unchanged.</summary>
internal sealed class EchoSessionHandler : IEngineSessionHandler
{
    public ValueTask OnOpenAsync(EngineSession session) => ValueTask.CompletedTask;

    public ValueTask OnMessageAsync(EngineSession session, EnginePacket message)
    {
        // The data is only valid during the call: copy it into the outgoing frame.
        if (message.IsBinary)
        {
            session.Send(EngineFrame.Binary(message.Data.ToArray()));
        }
        else
        {
            var text = new byte[message.Data.Length + 1];
            text[0] = (byte)'0' + (byte)EnginePacketType.Message;
            message.Data.Span.CopyTo(text.AsSpan(1));
            session.Send(EngineFrame.Text(text));
        }

        return ValueTask.CompletedTask;
    }

    public void OnClose(EngineSession session, string reason)
    {
    }
}
