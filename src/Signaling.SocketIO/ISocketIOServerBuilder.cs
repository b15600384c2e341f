using Microsoft.Extensions.DependencyInjection;

namespace Signaling.SocketIO;

/// <summary>Configures the Socket.IO server (adapters, options) after <c>AddSocketIO</c>.</summary>
public interface ISocketIOServerBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }
}
