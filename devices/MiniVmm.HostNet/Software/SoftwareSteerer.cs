using System.Buffers.Binary;
using MiniVmm.Virtio.Net.Rss;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// The software back end's per-packet step, run by the worker that read the packet from its TAP
/// queue: classify the frame in-process, fill the hash fields of the vnet header when hash report
/// is on (virtio_net_hdr_v1_hash, virtio 1.2 §5.1.6), and hand the packet to the worker of its
/// target queue through the <see cref="SteeringExchange"/> unless it already is that worker.
/// </summary>
public sealed class SoftwareSteerer
{
    private const int HashValueOffset = 12, HashReportOffset = 16, PaddingOffset = 18;

    private readonly SteeringExchange _exchange;
    private readonly PacketClassifier _classify;

    /// <param name="vnetHeaderBytes">The TAP's vnet header size: 12, or 20 with hash report.</param>
    public SoftwareSteerer(SteeringExchange exchange, PacketClassifier classify, int vnetHeaderBytes)
    {
        if (vnetHeaderBytes is not (Tap.VnetHeaderBytes or Tap.VnetHashHeaderBytes)) throw new ArgumentOutOfRangeException(nameof(vnetHeaderBytes));
        _exchange = exchange;
        _classify = classify;
        VnetHeaderBytes = vnetHeaderBytes;
    }

    public int VnetHeaderBytes { get; }

    /// <summary>
    /// Steers one packet (vnet header + frame) read by the worker of <paramref name="source"/>.
    /// Returns the target queue: when it equals <paramref name="source"/> the caller delivers the
    /// (now hash-stamped) packet itself; otherwise it was forwarded, or dropped if the target's ring was full.
    /// </summary>
    public int Steer(int source, Span<byte> packet, RssConfiguration config, int activePairs, bool reportHash)
    {
        ReadOnlySpan<byte> frame = packet.Length > VnetHeaderBytes ? packet[VnetHeaderBytes..] : [];
        SteeringDecision decision = _classify(frame, config);
        if (reportHash && VnetHeaderBytes >= Tap.VnetHashHeaderBytes && packet.Length >= Tap.VnetHashHeaderBytes)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(packet[HashValueOffset..], decision.HashValue);
            BinaryPrimitives.WriteUInt16LittleEndian(packet[HashReportOffset..], (ushort)decision.HashReport);
            BinaryPrimitives.WriteUInt16LittleEndian(packet[PaddingOffset..], 0);
        }
        // The pair count may shrink after the table was set: wrap, as the kernel's tun does.
        int target = decision.Queue < activePairs ? decision.Queue : decision.Queue % activePairs;
        if (target != source) _exchange.Forward(source, target, packet);
        return target;
    }
}
