using MiniVmm.Virtio.Net.Rss;

namespace MiniVmm.HostNet.Software;

/// <summary>The hash-and-pick-a-queue function (RssHasher.Compute); allocation-free, any bytes are safe input.</summary>
public delegate SteeringDecision PacketClassifier(ReadOnlySpan<byte> frame, RssConfiguration config);
