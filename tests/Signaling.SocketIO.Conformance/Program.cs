using Signaling.SocketIO.Conformance;
using Signaling.SocketIO.EngineIO;

// The server the socketio/engine.io-protocol and socketio/socket.io-protocol test suites assume:
// dotnet run --project tests/Signaling.SocketIO.Conformance -c Release -- --urls http://localhost:3000
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddSocketIO(
    socketIO => socketIO.ConnectTimeout = ConformanceOptions.ConnectTimeout,
    ConformanceOptions.Configure);

var app = builder.Build();
app.UseWebSockets();

var engineOptions = new EngineIOOptions();
ConformanceOptions.Configure(engineOptions);
app.MapEngineIO("/engine.io", new EchoSessionHandler(), engineOptions);

var io = app.MapSocketIO("/socket.io");
ConformanceHandlers.Register(io.Of("/"));
ConformanceHandlers.Register(io.Of("/custom"));

app.Run();
