using System.Globalization;
using Signaling.Bench.PushFanout;
using Signaling.TestKit.PushStandIns;

BenchSettings settings;
try
{
    settings = BenchSettings.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}

var work = settings.WorkDir is { } dir ? Directory.CreateDirectory(dir) : Directory.CreateTempSubdirectory("push-fanout-");
await using var standIns = await PushStandIns.StartAsync();

// The server trusts the stand-in's CA the ordinary way: OpenSSL's SSL_CERT_FILE, read when the process starts.
var caFile = Path.Combine(work.FullName, "stand-in-ca.pem");
await File.WriteAllTextAsync(caFile, StandInCertificates.Authority.ExportCertificatePem());
var environment = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["ASPNETCORE_ENVIRONMENT"] = "Development",
    ["SSL_CERT_FILE"] = caFile,
    ["Invitations__MaxInvitees"] = settings.InviteesPerInvitation.ToString(CultureInfo.InvariantCulture),
    ["RateLimit__PermitLimit"] = "100000000",
    ["Serilog__MinimumLevel__Default"] = "Warning",
    ["Serilog__MinimumLevel__Override__Signaling"] = "Warning",
    ["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Warning",
    ["WebDemo__Enabled"] = "false",
};
foreach (var (key, value) in standIns.Settings(apns: true, fcm: false))
{
    environment[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
}

if (settings.MaxConcurrency is { } concurrency)
{
    environment["Push__MaxConcurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
}

var serverLog = Path.Combine(work.FullName, "server.log");
Console.WriteLine($"starting the server ({settings.ServerDll}); its log: {serverLog}");
await using var server = await ServerProcess.StartAsync(settings.ServerDll, settings.ServerCpus, environment, serverLog);
using var driver = new FanoutDriver(settings, server.Address, standIns.Apns);

Console.WriteLine($"registering {settings.Warmup + settings.Devices} devices");
var warmup = await driver.RegisterAsync("warm", settings.Warmup);
var measured = await driver.RegisterAsync("callee", settings.Devices);

if (settings.Warmup > 0)
{
    Console.WriteLine($"warm-up: {settings.Warmup} pushes");
    await driver.RingAsync("warm-caller", warmup, expectedBefore: 0);
}

var forcedGc = await server.ForceFullGcAsync(settings.GcTool);
var heapBefore = await server.LiveHeapBytesAsync();
var before = server.ReadResidentSet();
var allocatedBefore = await server.AllocatedBytesAsync();
var peakReset = server.TryResetPeak();

Console.WriteLine($"fan-out: {settings.Devices} pushes");
var run = await driver.RingAsync("caller", measured, expectedBefore: settings.Warmup);
var outcomes = await driver.CountOutcomesAsync(run);
var during = server.ReadResidentSet();
var allocated = await server.AllocatedBytesAsync() - allocatedBefore;
forcedGc &= await server.ForceFullGcAsync(settings.GcTool);
var heapAfter = await server.LiveHeapBytesAsync();
var after = server.ReadResidentSet();

var report = new FanoutReport(settings, run, outcomes, new MemoryReadings(before, during, after, heapBefore, heapAfter, allocated, forcedGc, peakReset));
Console.WriteLine();
Console.WriteLine(report.Text());
if (settings.JsonPath is not null)
{
    await File.WriteAllTextAsync(settings.JsonPath, report.Json());
}

if (settings.MarkdownPath is not null)
{
    await File.WriteAllTextAsync(settings.MarkdownPath, report.Markdown());
}

return run.Accepted == settings.Devices && outcomes.Sent == settings.Devices ? 0 : 1;
