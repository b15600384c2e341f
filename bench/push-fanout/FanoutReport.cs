using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Signaling.Bench.PushFanout;

/// <summary>The server's memory around the fan-out.</summary>
/// <param name="Before">Working set before (after the warm-up).</param>
/// <param name="During">Working set right after the fan-out, with its peak since <paramref name="Before"/>.</param>
/// <param name="After">Working set after the heap reading (and the forced GC, if any).</param>
/// <param name="HeapBefore">Live managed heap before.</param>
/// <param name="HeapAfter">Live managed heap after.</param>
/// <param name="Allocated">Bytes allocated on the managed heap by the fan-out (and the GETs that confirm its outcomes).</param>
/// <param name="ForcedGc">Whether both heap readings follow a forced full GC.</param>
/// <param name="PeakReset">Whether the peak was reset before the fan-out (else it is the whole process's).</param>
internal sealed record MemoryReadings(
    ResidentSet Before, ResidentSet During, ResidentSet After, long HeapBefore, long HeapAfter, long Allocated, bool ForcedGc, bool PeakReset);

/// <summary>The figures of one fan-out run, as console text, JSON and the docs section.</summary>
internal sealed class FanoutReport(BenchSettings settings, RunResult run, OutcomeCounts outcomes, MemoryReadings memory)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly string Machine =
        $"{CpuModel()}, {CpuCount()} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";

    private readonly DateTimeOffset _date = DateTimeOffset.UtcNow;
    private readonly string _loadAverage = ReadFirstLine("/proc/loadavg") is { } l ? string.Join(' ', l.Split(' ').Take(3)) : "?";

    private double Seconds => Stopwatch.GetElapsedTime(run.StartedAt, run.LastPushAt).TotalSeconds;

    private double PushesPerSecond => run.Accepted / Seconds;

    private double StandInSeconds => Stopwatch.GetElapsedTime(run.FirstPushAt, run.LastPushAt).TotalSeconds;

    private double PostSeconds => Stopwatch.GetElapsedTime(run.StartedAt, run.AllPostedAt).TotalSeconds;

    private string Concurrency => settings.MaxConcurrency?.ToString(Inv) ?? "16 (default)";

    public string Text()
    {
        var text = new StringBuilder();
        text.AppendLine(Inv, $"push fan-out, {_date:yyyy-MM-dd HH:mm} UTC, {Machine}, load average at the end {_loadAverage}");
        text.AppendLine(Inv, $"  {Shape()}; Push:MaxConcurrency {Concurrency}");
        text.AppendLine(Inv, $"  pushes accepted by the stand-in    {run.Accepted:N0} (refused {run.Refused}); ledger: {outcomes.Sent:N0} sent, {outcomes.Other} other");
        text.AppendLine(Inv, $"  pushes per second                  {PushesPerSecond:N0} (first POST to last push, {Seconds:N2} s; {run.Invitations.Count} POSTs took {PostSeconds:N2} s)");
        text.AppendLine(Inv, $"  at the stand-in                    {run.Accepted / StandInSeconds:N0}/s (first push to last, {StandInSeconds:N2} s)");
        text.AppendLine(Inv, $"  POST to push                       p50 {Percentile(0.50):N3} s, p99 {Percentile(0.99):N3} s, max {Percentile(1):N3} s");
        text.AppendLine(Inv, $"  server peak working set            {Mib(memory.During.PeakKiB * 1024)} during the fan-out{(memory.PeakReset ? "" : " (peak of the whole process: reset refused)")}; {Mib(memory.Before.PeakKiB * 1024)} before it");
        text.AppendLine(Inv, $"  server working set                 {Mib(memory.Before.RssKiB * 1024)} before, {Mib(memory.During.RssKiB * 1024)} right after, {Mib(memory.After.RssKiB * 1024)} {AfterLabel}");
        text.AppendLine(Inv, $"  server allocations                 {Mib(memory.Allocated)} during the fan-out, {memory.Allocated / Math.Max(1, run.Accepted) / 1024.0:N1} KiB per push");
        text.AppendLine(Inv, $"  server GC heap (live{(memory.ForcedGc ? ", after a full GC" : ", after the last GC")}) {Mib(memory.HeapBefore)} before, {Mib(memory.HeapAfter)} after ({Mib(memory.HeapAfter - memory.HeapBefore)} more)");
        return text.ToString();
    }

    public string Json() => JsonSerializer.Serialize(
        new Dictionary<string, object?>
        {
            ["date"] = _date,
            ["command"] = settings.Command,
            ["machine"] = Machine,
            ["loadAverage"] = _loadAverage,
            ["devices"] = settings.Devices,
            ["devicesPerUser"] = settings.DevicesPerUser,
            ["inviteesPerInvitation"] = settings.InviteesPerInvitation,
            ["invitations"] = run.Invitations.Count,
            ["maxConcurrency"] = settings.MaxConcurrency,
            ["accepted"] = run.Accepted,
            ["refused"] = run.Refused,
            ["ledgerSent"] = outcomes.Sent,
            ["ledgerOther"] = outcomes.Other,
            ["seconds"] = Seconds,
            ["pushesPerSecond"] = PushesPerSecond,
            ["standInPushesPerSecond"] = run.Accepted / StandInSeconds,
            ["postToPushP50Seconds"] = Percentile(0.50),
            ["postToPushP99Seconds"] = Percentile(0.99),
            ["peakWorkingSetBytesDuring"] = memory.During.PeakKiB * 1024,
            ["peakWorkingSetBytesBefore"] = memory.Before.PeakKiB * 1024,
            ["peakReset"] = memory.PeakReset,
            ["workingSetBytesBefore"] = memory.Before.RssKiB * 1024,
            ["workingSetBytesRightAfter"] = memory.During.RssKiB * 1024,
            ["workingSetBytesAfter"] = memory.After.RssKiB * 1024,
            ["allocatedBytes"] = memory.Allocated,
            ["gcHeapBytesBefore"] = memory.HeapBefore,
            ["gcHeapBytesAfter"] = memory.HeapAfter,
            ["gcHeapAfterForcedGc"] = memory.ForcedGc,
        },
        Indented);

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("## Push fan-out");
        md.AppendLine();
        md.AppendLine(Inv, $"`{settings.Command}` on {_date:yyyy-MM-dd HH:mm} UTC; {Machine}; load average {_loadAverage} at the end (the machine is shared).");
        md.AppendLine();
        md.AppendLine(Inv, $"{Shape()}. The real server (Release, Development settings with `X-User-Id`, in-memory stores, its own process{Pinning()}) rings them through the TestKit APNs stand-in (HTTP/2 over TLS on 127.0.0.1, checking the ES256 provider token, headers, topic and payload of every push, in the driver's process). Push:MaxConcurrency {Concurrency}; {settings.Warmup} pushes of warm-up first.");
        md.AppendLine();
        md.AppendLine("| figure | value |");
        md.AppendLine("| --- | --- |");
        md.AppendLine(Inv, $"| VoIP pushes accepted (ledger: sent) | {run.Accepted:N0} of {settings.Devices:N0} ({outcomes.Sent:N0}) |");
        md.AppendLine(Inv, $"| pushes per second, first POST to last push | **{PushesPerSecond:N0}** ({Seconds:N2} s) |");
        md.AppendLine(Inv, $"| pushes per second at the stand-in, first push to last | {run.Accepted / StandInSeconds:N0} |");
        md.AppendLine(Inv, $"| POST to push, p50 / p99 | {Percentile(0.50):N2} s / {Percentile(0.99):N2} s |");
        md.AppendLine(Inv, $"| server peak working set during the fan-out | **{Mib(memory.During.PeakKiB * 1024)}**{(memory.PeakReset ? "" : " (whole process)")} |");
        md.AppendLine(Inv, $"| server working set before / right after / {AfterLabel} | {Mib(memory.Before.RssKiB * 1024)} / {Mib(memory.During.RssKiB * 1024)} / {Mib(memory.After.RssKiB * 1024)} |");
        md.AppendLine(Inv, $"| server GC heap, live{(memory.ForcedGc ? " after a full GC" : " after the last GC")}, before / after | {Mib(memory.HeapBefore)} / **{Mib(memory.HeapAfter)}** |");
        md.AppendLine(Inv, $"| server managed allocations during the fan-out | {Mib(memory.Allocated)} ({memory.Allocated / Math.Max(1, run.Accepted) / 1024.0:N1} KiB per push) |");
        md.AppendLine();
        md.AppendLine("Why two processes: the server is measured as it ships (REST → invitation service → push bridge → dispatcher → APNs client), and its memory is not mixed with the stand-in's record of every request. The server trusts the stand-in's throw-away CA through `SSL_CERT_FILE`, read at process start. The heap after the run includes the push ledger, which keeps every outcome for an hour after the deadline.");
        return md.ToString();
    }

    private string Pinning() => settings.ServerCpus is { } cpus ? $" pinned to CPU {cpus}, the driver to the other" : "";

    private string AfterLabel => memory.ForcedGc ? "after a full GC" : "a moment later";

    private string Shape() =>
        $"{settings.Devices:N0} offline iOS devices ({settings.Devices / settings.DevicesPerUser:N0} users × {settings.DevicesPerUser}), rung by {run.Invitations.Count:N0} invitations of {settings.InviteesPerInvitation} invitees each, sent at once";

    private double Percentile(double p)
    {
        var values = run.SecondsFromPostToPush;
        return values.Length == 0 ? double.NaN : values[Math.Clamp((int)Math.Ceiling(p * values.Length) - 1, 0, values.Length - 1)];
    }

    private static string Mib(long bytes) => bytes < 0 ? "n/a" : string.Create(Inv, $"{bytes / 1024.0 / 1024.0:N1} MiB");

    private static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : "unknown CPU";

    private static int CpuCount() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal)) : Environment.ProcessorCount;

    private static string? ReadFirstLine(string path) => File.Exists(path) ? File.ReadLines(path).FirstOrDefault() : null;
}
