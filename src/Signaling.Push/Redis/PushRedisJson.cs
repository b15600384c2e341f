using System.Text.Json.Serialization;
using Signaling.Push.Devices;

namespace Signaling.Push.Redis;

/// <summary>The stored forms: the records' own JSON names, compact.</summary>
[JsonSerializable(typeof(PushDevice))]
[JsonSerializable(typeof(PushOutcome))]
[JsonSerializable(typeof(CancelNote))]
internal sealed partial class PushRedisJson : JsonSerializerContext;
