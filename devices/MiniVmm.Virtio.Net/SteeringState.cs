using MiniVmm.Rss;

namespace MiniVmm.Virtio.Net;

/// <summary>
/// What decides where received packets go, as one immutable value swapped whole: the RSS or hash
/// configuration the guest set (null: hashing off, the state after reset), the receive queue pairs
/// in use, and a generation that changes with every accepted control command (a hash computed under
/// an older generation is not reused).
/// </summary>
/// <param name="Pairs">
/// Receive queue pairs in use: VQ_PAIRS_SET's value, or with RSS steering the highest queue the
/// indirection table or unclassified_queue names, plus one. The host attaches that many TAP queues.
/// Transmit queues are served whenever the driver enabled them, whatever this says.
/// </param>
public sealed record SteeringState(RssConfiguration? Configuration, int Pairs, int Generation)
{
    /// <summary>After reset: no hashing, only receiveq1 (§5.1.6.5.5).</summary>
    public static SteeringState Initial { get; } = new(null, 1, 0);

    /// <summary>True when the RSS table picks the queue (RSS_CONFIG); false for automatic steering or hash only.</summary>
    public bool SteeringEnabled => Configuration is { SteeringEnabled: true };
}
