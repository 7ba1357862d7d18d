using MiniVmm.Virtio.Net.Rss;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// What the in-process classifier says about one frame: the hash, its virtio report type
/// (virtio 1.2 §5.1.6.4.1) and the receive queue (table[hash &amp; mask], or the unclassified queue).
/// Mirrors RssResult of the RSS layer; the lead adapts RssHasher.Compute to <see cref="PacketClassifier"/>.
/// </summary>
public readonly record struct SteeringDecision(uint HashValue, VirtioNetHashReport HashReport, ushort Queue);
