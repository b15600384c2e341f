var builder = WebApplication.CreateBuilder(args);

builder.AddSignalingConfiguration();
builder.AddSignalingObservability();
builder.AddSignalingAuthentication();
builder.AddSignalingRateLimiting();
builder.Services.AddSignalingProblemDetails();
builder.Services.AddSignalingApi();
builder.Services.AddSignalingState(builder.Configuration);
builder.Services.AddSignalingRealtime(builder.Configuration, builder.Environment);
builder.Services.AddSignalingIceServers();
builder.Services.AddSignalingWebDemo(builder.Configuration, builder.Environment);

var app = builder.Build();

app.UseSignalingSocketIO();
app.UseSignalingRequestLogging();
app.UseSignalingWebDemo();
app.UseSignalingExceptionHandler();
app.UseStatusCodePages();
app.UseWebSockets();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.MapSignalingHealth();
app.MapSignalingMetrics();
app.MapSignalingApi();
app.MapInvitations();
app.MapDevices();
app.MapIceServers();
app.MapSignalingRealtime();

app.Run();

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
