using System.Globalization;

namespace Signaling.Bench.PushFanout;

/// <summary>Command-line settings of the fan-out benchmark.</summary>
internal sealed class BenchSettings
{
    public const string Usage = """
        PushFanout --server-dll PATH [options]
          --devices N                 offline iOS devices to ring (default 10000)
          --devices-per-user N        devices per invitee (default 10)
          --invitees N                invitees per invitation (default 10)
          --warmup N                  devices rung first, not measured (default 200)
          --concurrency N             the server's Push:MaxConcurrency (default: the server's own, 16)
          --server-cpus LIST          pin the server with taskset -c LIST (default: not pinned)
          --gc-tool PATH              dotnet-trace, to force a full GC in the server before each heap reading
          --json PATH                 write the figures as JSON
          --markdown PATH             write the docs section (Markdown)
          --command TEXT              the command line to quote in the docs section
          --work-dir PATH             where the CA file and the server log go (default: a new temporary directory)
        """;

    public required string ServerDll { get; init; }

    public int Devices { get; init; } = 10_000;

    public int DevicesPerUser { get; init; } = 10;

    public int InviteesPerInvitation { get; init; } = 10;

    public int Warmup { get; init; } = 200;

    public int? MaxConcurrency { get; init; }

    public string? ServerCpus { get; init; }

    public string? GcTool { get; init; }

    public string? JsonPath { get; init; }

    public string? MarkdownPath { get; init; }

    public string Command { get; init; } = "bench/push-fanout.sh";

    public string? WorkDir { get; init; }

    /// <summary>Parallel REST calls of the driver (device registration, invitations).</summary>
    public int RestConcurrency { get; init; } = 16;

    public static BenchSettings Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'\n{Usage}");
            }

            values[args[i][2..]] = args[++i];
        }

        int Int(string name, int fallback) => values.Remove(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        string? Text(string name) => values.Remove(name, out var v) ? v : null;

        var settings = new BenchSettings
        {
            ServerDll = Text("server-dll") ?? throw new ArgumentException($"--server-dll is required\n{Usage}"),
            Devices = Int("devices", 10_000),
            DevicesPerUser = Int("devices-per-user", 10),
            InviteesPerInvitation = Int("invitees", 10),
            Warmup = Int("warmup", 200),
            MaxConcurrency = values.ContainsKey("concurrency") ? Int("concurrency", 0) : null,
            ServerCpus = Text("server-cpus"),
            GcTool = Text("gc-tool"),
            JsonPath = Text("json"),
            MarkdownPath = Text("markdown"),
            Command = Text("command") ?? "bench/push-fanout.sh",
            WorkDir = Text("work-dir"),
        };
        if (values.Count > 0)
        {
            throw new ArgumentException($"unknown option --{values.Keys.First()}\n{Usage}");
        }

        var perInvitation = settings.DevicesPerUser * settings.InviteesPerInvitation;
        if (settings.Devices <= 0 || settings.Devices % perInvitation != 0 || settings.Warmup % perInvitation != 0)
        {
            throw new ArgumentException($"--devices and --warmup must be positive multiples of devices-per-user × invitees ({perInvitation})");
        }

        return settings;
    }
}
