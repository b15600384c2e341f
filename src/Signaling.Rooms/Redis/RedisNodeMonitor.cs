using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Relay;
using StackExchange.Redis;

namespace Signaling.Rooms.Redis;

/// <summary>
/// The one heartbeat loop of a node: every <see cref="RoomsRedisOptions.HeartbeatInterval"/> it refreshes its own
/// heartbeat key (which expires after <see cref="RoomsRedisOptions.NodeTimeout"/>, so a process killed with
/// <c>kill -9</c> simply stops refreshing it) and looks at the other known nodes. When one's heartbeat has expired,
/// the first survivor to take its cleanup lock removes that node's peers from every room, tells the remaining members
/// with <c>leave</c>, drops them from the directory and calls the <see cref="INodeFailureHandler"/>s: within
/// NodeTimeout plus one interval of the dead node's last heartbeat.
/// </summary>
public sealed partial class RedisNodeMonitor : BackgroundService
{
    // KEYS[1] this node's heartbeat, KEYS[2] known nodes; ARGV[1] node id, ARGV[2] ttl (ms).
    // 1 when the heartbeat was still there, 0 when it had expired (or Redis lost it).
    private const string BeatScript = """
        local previous = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'GET')
        redis.call('SADD', KEYS[2], ARGV[1])
        if previous then
          return 1
        end
        return 0
        """;

    // KEYS[1] directory, KEYS[2] this node's peers, KEYS[3] this node's cleanup lock; ARGV[1] node id, ARGV[2..] peers.
    // Puts this node's live peers back; returns those the directory had lost. Waits (nil) while a survivor still
    // cleans up after this node, so the two never interleave.
    private const string ResyncScript = """
        if redis.call('EXISTS', KEYS[3]) == 1 then
          return false
        end
        local lost = {}
        for i = 2, #ARGV do
          if redis.call('HGET', KEYS[1], ARGV[i]) ~= ARGV[1] then
            lost[#lost + 1] = ARGV[i]
            redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
          end
          redis.call('SADD', KEYS[2], ARGV[i])
        end
        return lost
        """;

    // KEYS[1] the dead node's heartbeat, KEYS[2] its cleanup lock; ARGV[1] this node, ARGV[2] lease (ms).
    private const string ClaimScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then
          return 0
        end
        if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
          return 1
        end
        return 0
        """;

    // KEYS[1] the lock; ARGV[1] this node, ARGV[2] lease (ms). 1 while this node still holds it.
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """;

    // KEYS[1] directory, KEYS[2] the dead node's peers; ARGV[1] peer, ARGV[2] dead node.
    private const string ReleasePeerScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
          redis.call('HDEL', KEYS[1], ARGV[1])
        end
        redis.call('SREM', KEYS[2], ARGV[1])
        return 1
        """;

    // KEYS[1] the dead node's peers, KEYS[2] known nodes, KEYS[3] its heartbeat, KEYS[4] its lock; ARGV[1] dead node, ARGV[2] this node.
    private const string FinishScript = """
        if redis.call('EXISTS', KEYS[3]) == 0 and redis.call('SCARD', KEYS[1]) == 0 then
          redis.call('SREM', KEYS[2], ARGV[1])
          redis.call('DEL', KEYS[1])
        end
        if redis.call('GET', KEYS[4]) == ARGV[2] then
          redis.call('DEL', KEYS[4])
        end
        return 1
        """;

    // KEYS[1] this node's heartbeat; ARGV[1] node id. A clean stop: survivors evict what is left at their next check.
    private const string GoodbyeScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
        end
        return 1
        """;

    private const int ResyncBatch = 512;
    private const int CleanupParallelism = 16;
    private const int CleanupChunk = 64;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisRelayBus _bus;
    private readonly IRoomStore _rooms;
    private readonly RelayService _relay;
    private readonly INodeFailureHandler[] _handlers;
    private readonly RoomsRedisOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisNodeMonitor> _logger;
    private readonly RedisKeys _keys;
    private readonly ConcurrentDictionary<string, Task> _cleanups = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private bool _beaten;
    private bool _resyncPending;
    private bool _abandoned;
    private long _ticks;

    /// <summary>Creates the monitor of the node that <paramref name="bus"/> belongs to.</summary>
    public RedisNodeMonitor(
        IConnectionMultiplexer redis,
        RedisRelayBus bus,
        IRoomStore rooms,
        RelayService relay,
        IEnumerable<INodeFailureHandler> handlers,
        IOptions<RoomsRedisOptions> options,
        TimeProvider timeProvider,
        ILogger<RedisNodeMonitor> logger)
    {
        _redis = redis;
        _bus = bus;
        _rooms = rooms;
        _relay = relay;
        _handlers = [.. handlers];
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        _keys = new RedisKeys(_options.KeyPrefix);
    }

    /// <summary>This node.</summary>
    public RedisNode Node => _bus.Node;

    /// <summary>Completed heartbeat ticks (tests and diagnostics).</summary>
    internal long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>While true, ticks do nothing: a stalled node (a long pause, a partition) as seen by the others (tests).</summary>
    internal bool Paused { get; set; }

    private IDatabase Db => _redis.GetDatabase();

    private long NodeTimeoutMs => (long)_options.NodeTimeout.TotalMilliseconds;

    // Long enough for a survivor to work through a big node; renewed after every chunk of peers.
    private long LeaseMs => NodeTimeoutMs * 3;

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_cleanups.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Unfinished cleanups keep their lock until the lease ends; another node takes over then.
        }

        if (_abandoned)
        {
            return;
        }

        try
        {
            await Db.ScriptEvaluateAsync(GoodbyeScript, [_keys.NodeHeartbeat(Node.Id)], [Node.Id]).WaitAsync(cancellationToken).ConfigureAwait(false);
            Log.Goodbye(_logger, Node.Id);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or OperationCanceledException or TimeoutException)
        {
            // The heartbeat expires by itself.
            Log.GoodbyeFailed(_logger, ex);
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    /// <summary>Stops like a killed process: no goodbye, the heartbeat just expires (tests).</summary>
    internal Task AbandonAsync()
    {
        _abandoned = true;
        return StopAsync(CancellationToken.None);
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.EffectiveHeartbeatInterval, _time);
        try
        {
            do
            {
                await TickAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    /// <summary>One heartbeat, then one look at the other nodes.</summary>
    internal async Task TickAsync(CancellationToken cancellationToken)
    {
        if (Paused)
        {
            Interlocked.Increment(ref _ticks);
            return;
        }

        try
        {
            await _bus.StartAsync(cancellationToken).ConfigureAwait(false);
            await BeatAsync().ConfigureAwait(false);
            await CheckNodesAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Redis down or slow: the next tick tries again (the multiplexer reconnects by itself).
            Log.TickFailed(_logger, ex);
        }
        finally
        {
            Interlocked.Increment(ref _ticks);
        }
    }

    private async Task BeatAsync()
    {
        var alive = (long)await Db.ScriptEvaluateAsync(
            BeatScript, [_keys.NodeHeartbeat(Node.Id), _keys.Nodes], [Node.Id, NodeTimeoutMs]).ConfigureAwait(false);

        // Before the first heartbeat no other node knew this one, so nothing of it can have been cleaned up.
        if (alive == 0 && _beaten)
        {
            Log.PresumedDead(_logger, Node.Id);
            _resyncPending = true;
        }

        _beaten = true;
        if (_resyncPending)
        {
            await ResyncAsync().ConfigureAwait(false);
        }
    }

    private async Task ResyncAsync()
    {
        var lost = new List<string>();
        foreach (var batch in _bus.LocalPeerIds.Chunk(ResyncBatch))
        {
            var args = new RedisValue[batch.Length + 1];
            args[0] = Node.Id;
            for (var i = 0; i < batch.Length; i++)
            {
                args[i + 1] = batch[i];
            }

            var result = await Db.ScriptEvaluateAsync(
                ResyncScript, [_keys.Directory, _keys.NodePeers(Node.Id), _keys.NodeCleanup(Node.Id)], args).ConfigureAwait(false);
            if (result.IsNull)
            {
                // A survivor is still cleaning up after this node: try again at the next tick.
                return;
            }

            lost.AddRange(((RedisValue[])result!).Select(v => (string)v!));
        }

        _resyncPending = false;

        // A peer that disconnected while its entry was put back must not stay in the directory.
        var current = _bus.LocalPeerIds.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in lost.Where(p => !current.Contains(p)).ToList())
        {
            await _bus.UnregisterAsync(gone).ConfigureAwait(false);
            lost.Remove(gone);
        }

        if (lost.Count > 0)
        {
            _relay.ForgetRooms(lost);
            Log.Resynced(_logger, Node.Id, lost.Count);
            await NotifyAsync(new NodeFailure(Node.Id, lost, IsThisNode: true)).ConfigureAwait(false);
        }
    }

    private async Task CheckNodesAsync()
    {
        var nodes = await Db.SetMembersAsync(_keys.Nodes).ConfigureAwait(false);
        var others = nodes.Select(n => (string)n!).Where(n => n != Node.Id && !_cleanups.ContainsKey(n)).ToArray();
        var alive = await Task.WhenAll(others.Select(n => Db.KeyExistsAsync(_keys.NodeHeartbeat(n)))).ConfigureAwait(false);
        for (var i = 0; i < others.Length; i++)
        {
            if (!alive[i])
            {
                StartCleanup(others[i]);
            }
        }
    }

    private void StartCleanup(string deadNode)
    {
        var started = new TaskCompletionSource();
        var cleanup = RunCleanupAsync(deadNode, started.Task);
        if (_cleanups.TryAdd(deadNode, cleanup))
        {
            started.SetResult();
        }
        else
        {
            started.SetCanceled();
        }
    }

    private async Task RunCleanupAsync(string deadNode, Task started)
    {
        try
        {
            await started.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            await CleanupAsync(deadNode, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutdown: the lock expires and another node finishes.
        }
        catch (Exception ex)
        {
            Log.CleanupFailed(_logger, ex, deadNode);
        }
        finally
        {
            _cleanups.TryRemove(deadNode, out _);
        }
    }

    private async Task CleanupAsync(string deadNode, CancellationToken cancellationToken)
    {
        var claimed = (long)await Db.ScriptEvaluateAsync(
            ClaimScript, [_keys.NodeHeartbeat(deadNode), _keys.NodeCleanup(deadNode)], [Node.Id, LeaseMs]).ConfigureAwait(false);
        if (claimed != 1)
        {
            return;
        }

        Log.NodeDead(_logger, deadNode, Node.Id);
        var evicted = new ConcurrentBag<string>();
        var peers = await Db.SetMembersAsync(_keys.NodePeers(deadNode)).ConfigureAwait(false);
        foreach (var chunk in peers.Select(p => (string)p!).Chunk(CleanupChunk))
        {
            if (await Db.KeyExistsAsync(_keys.NodeHeartbeat(deadNode)).ConfigureAwait(false))
            {
                // It came back: it puts its live peers back itself once the lock is gone.
                Log.NodeCameBack(_logger, deadNode);
                break;
            }

            await Parallel.ForEachAsync(
                chunk,
                new ParallelOptions { MaxDegreeOfParallelism = CleanupParallelism, CancellationToken = cancellationToken },
                async (peerId, ct) =>
                {
                    if (await EvictAsync(deadNode, peerId, ct).ConfigureAwait(false))
                    {
                        evicted.Add(peerId);
                    }
                }).ConfigureAwait(false);

            var renewed = (long)await Db.ScriptEvaluateAsync(RenewScript, [_keys.NodeCleanup(deadNode)], [Node.Id, LeaseMs]).ConfigureAwait(false);
            if (renewed != 1)
            {
                // The lease ran out and another node took over: it goes on from what is left.
                Log.CleanupLost(_logger, deadNode);
                return;
            }
        }

        await Db.ScriptEvaluateAsync(
            FinishScript,
            [_keys.NodePeers(deadNode), _keys.Nodes, _keys.NodeHeartbeat(deadNode), _keys.NodeCleanup(deadNode)],
            [deadNode, Node.Id]).ConfigureAwait(false);

        Log.NodeCleaned(_logger, deadNode, evicted.Count);
        await NotifyAsync(new NodeFailure(deadNode, [.. evicted], IsThisNode: false)).ConfigureAwait(false);
    }

    private async Task<bool> EvictAsync(string deadNode, string peerId, CancellationToken cancellationToken)
    {
        // Rooms first, directory last: a cleaner that dies in between leaves the peer for the next one, whose
        // LeaveAll then finds nothing, so no room hears the leave twice.
        var owned = await Db.HashGetAsync(_keys.Directory, peerId).ConfigureAwait(false) == deadNode;
        if (owned)
        {
            foreach (var (_, remaining) in await _rooms.LeaveAllAsync(peerId, cancellationToken).ConfigureAwait(false))
            {
                await _relay.AnnounceLeaveAsync(peerId, remaining, cancellationToken).ConfigureAwait(false);
            }
        }

        await Db.ScriptEvaluateAsync(ReleasePeerScript, [_keys.Directory, _keys.NodePeers(deadNode)], [peerId, deadNode]).ConfigureAwait(false);
        return owned;
    }

    private async Task NotifyAsync(NodeFailure failure)
    {
        foreach (var handler in _handlers)
        {
            try
            {
                await handler.OnNodeFailedAsync(failure, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
            {
                Log.HandlerFailed(_logger, ex, failure.NodeId);
            }
        }
    }
}
