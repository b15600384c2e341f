using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Signaling.Rooms.Relay;
using StackExchange.Redis;

namespace Signaling.Rooms.Redis;

/// <summary>
/// Delivers relay messages to peers on any node. Peers on this node get them straight from the
/// <see cref="LocalRelayBus"/>, without Redis. For the others a Redis hash names the node holding each peer, and the
/// message goes, as a versioned <see cref="RelayEnvelope"/>, to that node's own literal channel, which only that node
/// subscribes to; it hands the message to its local peer in the order published.
/// </summary>
/// <remarks>
/// <see cref="SendAsync"/> is true for a remote peer when the directory names a node that is subscribed (PUBLISH
/// reached a subscriber): delivery itself is not acknowledged, so a peer that disconnected a moment earlier loses it.
/// </remarks>
public sealed partial class RedisRelayBus : IRelayBus, IAsyncDisposable, IDisposable
{
    // KEYS[1] directory, KEYS[2] this node's peers; ARGV[1] peer id, ARGV[2] node id.
    private const string RegisterScript = """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[1])
        return 1
        """;

    // Same keys. Only the node that holds the entry removes it: the id may have been registered again elsewhere.
    private const string UnregisterScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
          redis.call('HDEL', KEYS[1], ARGV[1])
        end
        redis.call('SREM', KEYS[2], ARGV[1])
        return 1
        """;

    // KEYS[1] directory; ARGV[1] peer id, ARGV[2] this node, ARGV[3] channel prefix, ARGV[4] envelope.
    // Lookup and publish in one round trip; PUBLISH answers how many subscribers got it, 0 when that node is gone.
    private const string SendScript = """
        local node = redis.call('HGET', KEYS[1], ARGV[1])
        if not node or node == ARGV[2] then
          return 0
        end
        return redis.call('PUBLISH', ARGV[3] .. node, ARGV[4])
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly LocalRelayBus _local;
    private readonly RedisKeys _keys;
    private readonly ILogger<RedisRelayBus> _logger;
    private readonly ConcurrentDictionary<string, byte> _registered = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Task<ChannelMessageQueue>? _subscription;
    private long _published;
    private long _received;

    /// <summary>Creates the bus of <paramref name="node"/>; it subscribes to its channel on first use or <see cref="StartAsync"/>.</summary>
    public RedisRelayBus(IConnectionMultiplexer redis, RedisNode node, LocalRelayBus local, IOptions<RoomsRedisOptions> options, ILogger<RedisRelayBus> logger)
    {
        _redis = redis;
        Node = node;
        _local = local;
        _keys = new RedisKeys(options.Value.KeyPrefix);
        _logger = logger;
    }

    /// <summary>This node.</summary>
    public RedisNode Node { get; }

    /// <summary>Ids of the peers registered on this node (a snapshot).</summary>
    public IReadOnlyList<string> LocalPeerIds => [.. _registered.Keys];

    /// <summary>Messages published to other nodes (diagnostics).</summary>
    internal long Published => Interlocked.Read(ref _published);

    /// <summary>Messages received from other nodes (diagnostics).</summary>
    internal long Received => Interlocked.Read(ref _received);

    /// <summary>Subscribes to this node's channel (idempotent; SE.Redis re-subscribes by itself after a reconnect).</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        Task<ChannelMessageQueue> subscription;
        lock (_gate)
        {
            if (_subscription is null || _subscription.IsFaulted || _subscription.IsCanceled)
            {
                _subscription = SubscribeAsync();
            }

            subscription = _subscription;
        }

        return subscription.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask RegisterAsync(IRelayPeer peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        await _local.RegisterAsync(peer, cancellationToken).ConfigureAwait(false);
        _registered[peer.Id] = 0;
        await StartAsync(cancellationToken).ConfigureAwait(false);
        await _redis.GetDatabase().ScriptEvaluateAsync(
            RegisterScript, [_keys.Directory, _keys.NodePeers(Node.Id)], [peer.Id, Node.Id]).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask UnregisterAsync(string peerId, CancellationToken cancellationToken = default)
    {
        await _local.UnregisterAsync(peerId, cancellationToken).ConfigureAwait(false);
        _registered.TryRemove(peerId, out _);
        await _redis.GetDatabase().ScriptEvaluateAsync(
            UnregisterScript, [_keys.Directory, _keys.NodePeers(Node.Id)], [peerId, Node.Id]).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> SendAsync(string peerId, RelayMessage message, CancellationToken cancellationToken = default)
    {
        if (_local.TryGetPeer(peerId, out var peer))
        {
            return peer.Deliver(message);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var envelope = RelayEnvelope.Encode(peerId, message);
        var receivers = (long)await _redis.GetDatabase().ScriptEvaluateAsync(
            SendScript, [_keys.Directory], [peerId, Node.Id, _keys.Prefix + "node:", envelope]).ConfigureAwait(false);
        if (receivers > 0)
        {
            Interlocked.Increment(ref _published);
            return true;
        }

        return false;
    }

    /// <summary>Stops listening to this node's channel.</summary>
    public async ValueTask DisposeAsync()
    {
        if (TakeSubscription() is { } queue)
        {
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                // Redis is gone or the multiplexer was disposed first: the subscription died with the connection.
            }
        }
    }

    /// <summary>Stops listening to this node's channel.</summary>
    public void Dispose()
    {
        if (TakeSubscription() is { } queue)
        {
            try
            {
                queue.Unsubscribe(CommandFlags.FireAndForget);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                // As above.
            }
        }
    }

    private ChannelMessageQueue? TakeSubscription()
    {
        Task<ChannelMessageQueue>? subscription;
        lock (_gate)
        {
            subscription = _subscription;
            _subscription = null;
        }

        return subscription is { IsCompletedSuccessfully: true } ? subscription.Result : null;
    }

    private async Task<ChannelMessageQueue> SubscribeAsync()
    {
        var queue = await _redis.GetSubscriber().SubscribeAsync(_keys.NodeChannel(Node.Id)).ConfigureAwait(false);

        // The queue hands messages over one at a time, in the order Redis sent them: an offer stays before its candidates.
        queue.OnMessage(OnMessage);
        Log.Subscribed(_logger, Node.Id);
        return queue;
    }

    private void OnMessage(ChannelMessage channelMessage)
    {
        ReadOnlyMemory<byte> bytes = (byte[]?)channelMessage.Message ?? [];
        if (!RelayEnvelope.TryDecode(bytes, out var to, out var message, out var error))
        {
            Log.BadEnvelope(_logger, error!);
            return;
        }

        Interlocked.Increment(ref _received);
        if (!_local.TryGetPeer(to, out var peer) || !peer.Deliver(message))
        {
            Log.PeerGone(_logger, to);
        }
    }
}
