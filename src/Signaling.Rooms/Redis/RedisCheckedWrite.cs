using StackExchange.Redis;

namespace Signaling.Rooms.Redis;

/// <summary>
/// Compare-and-set over several keys as one script: every expectation (a read command and the value it must return,
/// empty for a missing value) is checked, and only if all hold are the writes applied. This is WATCH/MULTI/EXEC without
/// holding a connection, so every decision stays in C# (<see cref="Invitations.InvitationRules"/>) and Redis only
/// guarantees that nothing it depended on changed in between.
/// </summary>
/// <remarks>Expected values are never empty strings, so "missing" and "empty" need no separate encoding.</remarks>
internal sealed class RedisCheckedWrite
{
    // ARGV: [check count] then per check [command, key index, argc, args..., expected], then per write
    // [command, key index, argc, args...]. Commands come from this assembly only, never from clients.
    private const string Script = """
        local i = 2
        for _ = 1, tonumber(ARGV[1]) do
          local argc = tonumber(ARGV[i + 2])
          local actual = redis.call(ARGV[i], KEYS[tonumber(ARGV[i + 1])], unpack(ARGV, i + 3, i + 2 + argc))
          if not actual then
            actual = ''
          end
          if tostring(actual) ~= ARGV[i + 3 + argc] then
            return 0
          end
          i = i + 4 + argc
        end
        while i <= #ARGV do
          local argc = tonumber(ARGV[i + 2])
          redis.call(ARGV[i], KEYS[tonumber(ARGV[i + 1])], unpack(ARGV, i + 3, i + 2 + argc))
          i = i + 3 + argc
        end
        return 1
        """;

    private readonly List<RedisKey> _keys = [];
    private readonly Dictionary<RedisKey, int> _keyIndex = [];
    private readonly List<RedisValue> _checks = [];
    private readonly List<RedisValue> _writes = [];
    private int _checkCount;

    /// <summary>Requires <c>command key args…</c> to return <paramref name="expected"/> (empty: nil).</summary>
    public RedisCheckedWrite Expect(string command, RedisKey key, RedisValue expected, params ReadOnlySpan<RedisValue> args)
    {
        Add(_checks, command, key, args);
        _checks.Add(expected.IsNull ? RedisValue.EmptyString : expected);
        _checkCount++;
        return this;
    }

    /// <summary>Runs <c>command key args…</c> when every expectation holds.</summary>
    public RedisCheckedWrite Write(string command, RedisKey key, params ReadOnlySpan<RedisValue> args)
    {
        Add(_writes, command, key, args);
        return this;
    }

    /// <summary>True when the expectations held and the writes were applied.</summary>
    public async Task<bool> ExecuteAsync(IDatabaseAsync database)
    {
        var args = new RedisValue[1 + _checks.Count + _writes.Count];
        args[0] = _checkCount;
        _checks.CopyTo(args, 1);
        _writes.CopyTo(args, 1 + _checks.Count);
        var result = await database.ScriptEvaluateAsync(Script, [.. _keys], args).ConfigureAwait(false);
        return (long)result == 1;
    }

    private void Add(List<RedisValue> target, string command, RedisKey key, ReadOnlySpan<RedisValue> args)
    {
        if (!_keyIndex.TryGetValue(key, out var index))
        {
            _keys.Add(key);
            index = _keys.Count;
            _keyIndex.Add(key, index);
        }

        target.Add(command);
        target.Add(index);
        target.Add(args.Length);
        foreach (var arg in args)
        {
            target.Add(arg);
        }
    }
}
