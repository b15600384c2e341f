namespace Signaling.Rooms.Redis;

/// <summary>Peers that lost their node: they were removed from every room and from the directory.</summary>
/// <param name="NodeId">The node that stopped sending heartbeats.</param>
/// <param name="PeerIds">Its peers that were evicted (their rooms were told with <c>leave</c>).</param>
/// <param name="IsThisNode">
/// True when this node finds that it was itself presumed dead (a pause or a Redis outage longer than the node
/// timeout, or a Redis that lost its data): <paramref name="PeerIds"/> are its own peers that are still connected
/// but no longer in any room, and the host should disconnect them so that their clients reconnect and join again.
/// </param>
public sealed record NodeFailure(string NodeId, IReadOnlyList<string> PeerIds, bool IsThisNode);

/// <summary>
/// Told when a node's peers were evicted, so that presence and invitations can treat them as offline.
/// Register any number with <c>services.AddSingleton&lt;INodeFailureHandler, …&gt;()</c>.
/// </summary>
public interface INodeFailureHandler
{
    /// <summary>
    /// Called once per cleanup, on the node that did it (or, with <see cref="NodeFailure.IsThisNode"/>, on the node
    /// that was presumed dead). At most once: a cleaner that crashes mid-way leaves the rest to another node, which
    /// reports only the peers it evicted itself.
    /// </summary>
    Task OnNodeFailedAsync(NodeFailure failure, CancellationToken cancellationToken);
}
