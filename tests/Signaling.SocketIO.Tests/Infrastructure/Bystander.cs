namespace Signaling.SocketIO.Tests.Infrastructure;

/// <summary>A well-behaved client connected next to a misbehaving one: it must keep getting its messages.</summary>
internal static class Bystander
{
    public static async Task AssertServedAsync(SocketIOTestServer server, WebSocketClient bystander, string tag)
    {
        await bystander.SendTextAsync($"42[\"echo\",\"{tag}\"]");
        Assert.Equal($"42[\"echo-back\",\"{tag}\"]", await bystander.ReceiveTextAnsweringPingsAsync());

        Assert.True(await server.IO.Of("/").EmitAsync("news", tag).Limit() >= 1);
        Assert.Equal($"42[\"news\",\"{tag}\"]", await bystander.ReceiveTextAnsweringPingsAsync());
    }

    public static void AssertNoUnhandledExceptions(SocketIOTestServer server)
        => Assert.True(server.Logs.UnhandledExceptions.Count == 0, string.Join(Environment.NewLine, server.Logs.UnhandledExceptions));
}
