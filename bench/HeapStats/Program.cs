using System.Globalization;
using Microsoft.Diagnostics.Tracing;

// Usage: HeapStats <snapshot.nettrace> [<baseline.nettrace> <divisor>] [--top N]
// Prints live objects per type (count, bytes) from a GC heap snapshot taken with dotnet-trace
// (--providers Microsoft-Windows-DotNETRuntime:0x1980001:5). With a baseline, prints the difference divided by
// <divisor> (e.g. the number of connections opened between the two snapshots).
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: HeapStats <snapshot.nettrace> [<baseline.nettrace> <divisor>] [--top N]");
    return 2;
}

var top = 30;
var topAt = Array.IndexOf(args, "--top");
if (topAt >= 0)
{
    top = int.Parse(args[topAt + 1], CultureInfo.InvariantCulture);
}

var loaded = Histogram(args[0]);
if (args.Length >= 3 && !args[1].StartsWith("--", StringComparison.Ordinal))
{
    var baseline = Histogram(args[1]);
    var divisor = double.Parse(args[2], CultureInfo.InvariantCulture);
    var rows = loaded.Keys.Union(baseline.Keys)
        .Select(t => (Type: t, Count: (Get(loaded, t).Count - Get(baseline, t).Count) / divisor, Bytes: (Get(loaded, t).Bytes - Get(baseline, t).Bytes) / divisor))
        .OrderByDescending(r => r.Bytes)
        .ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"live heap difference per unit (divisor {divisor}): {rows.Sum(r => r.Bytes):0} bytes, {rows.Sum(r => r.Count):0.0} objects"));
    Console.WriteLine("   bytes  objects  type");
    foreach (var row in rows.Take(top))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.Bytes,8:0} {row.Count,8:0.00}  {row.Type}"));
    }

    return 0;
}

var all = loaded.OrderByDescending(kv => kv.Value.Bytes).ToList();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"live heap: {all.Sum(kv => kv.Value.Bytes)} bytes, {all.Sum(kv => kv.Value.Count)} objects"));
Console.WriteLine("     bytes   objects  type");
foreach (var (type, (count, bytes)) in all.Take(top))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bytes,10} {count,9}  {type}"));
}

return 0;

static (long Count, long Bytes) Get(Dictionary<string, (long Count, long Bytes)> histogram, string type)
    => histogram.TryGetValue(type, out var v) ? v : default;

static Dictionary<string, (long Count, long Bytes)> Histogram(string path)
{
    var names = new Dictionary<ulong, string>();
    var byId = new Dictionary<ulong, (long Count, long Bytes)>();
    using (var source = new EventPipeEventSource(path))
    {
        source.Clr.TypeBulkType += data =>
        {
            for (var i = 0; i < data.Count; i++)
            {
                var value = data.Values(i);
                names[value.TypeID] = value.TypeName;
            }
        };
        source.Clr.GCBulkNode += data =>
        {
            for (var i = 0; i < data.Count; i++)
            {
                var node = data.Values(i);
                var (count, bytes) = byId.TryGetValue(node.TypeID, out var v) ? v : default;
                byId[node.TypeID] = (count + 1, bytes + (long)node.Size);
            }
        };
        source.Process();
    }

    var result = new Dictionary<string, (long Count, long Bytes)>(StringComparer.Ordinal);
    foreach (var (id, (count, bytes)) in byId)
    {
        var name = names.TryGetValue(id, out var n) ? n : $"type 0x{id:x}";
        var (c, b) = result.TryGetValue(name, out var existing) ? existing : default;
        result[name] = (c + count, b + bytes);
    }

    return result;
}
