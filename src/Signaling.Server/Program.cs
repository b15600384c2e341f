var builder = WebApplication.CreateBuilder(args);

builder.AddSignalingConfiguration();
builder.AddSignalingObservability();
builder.Services.AddSignalingRealtime(builder.Configuration, builder.Environment);

var app = builder.Build();

app.UseSignalingRequestLogging();
app.UseWebSockets();
app.MapSignalingHealth();
app.MapSignalingMetrics();
app.MapSignalingRealtime();

app.Run();

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
