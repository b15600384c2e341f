using Signaling.SocketIO.Conformance;
using Signaling.SocketIO.EngineIO;

// The server the socketio/engine.io-protocol and socketio/socket.io-protocol test suites assume:
// dotnet run --project tests/Signaling.SocketIO.Conformance -c Release -- --urls http://localhost:3000
// It hosts both endpoints the way the Signaling server does: early pipeline branches, WebSocket handshakes served on
// the connection.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSocketIOWebSockets()));
builder.Services.AddSocketIO(
    socketIO => socketIO.ConnectTimeout = ConformanceOptions.ConnectTimeout,
    ConformanceOptions.Configure);

var app = builder.Build();
var engineOptions = new EngineIOOptions();
ConformanceOptions.Configure(engineOptions);
app.UseEngineIO("/engine.io", new EchoSessionHandler(), engineOptions);

var io = app.UseSocketIO("/socket.io");
ConformanceHandlers.Register(io.Of("/"));
ConformanceHandlers.Register(io.Of("/custom"));

app.Run();
