using Signaling.SocketIO.EngineIO;

namespace Signaling.SocketIO.Conformance;

/// <summary>The values both suites assert or assume (their README's reference configuration).</summary>
internal static class ConformanceOptions
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(1000);

    public static void Configure(EngineIOOptions options)
    {
        options.PingInterval = TimeSpan.FromMilliseconds(300);
        options.PingTimeout = TimeSpan.FromMilliseconds(200);
        options.MaxPayload = 1_000_000;
        options.AllowEIO3 = false;
    }
}
