using System.Buffers.Binary;
using MiniVmm.Virtio.Net.Rss;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// Classifies a packet's frame in-process and, for hash report, writes hash_value and hash_report
/// into its virtio_net_hdr_v1_hash (virtio 1.2 §5.1.6). The software back end and the eBPF hybrid
/// back end (BPF steers, the VMM reports) both use it. Older kernels leave those 8 header bytes
/// uninitialised, so they are always written when reporting.
/// </summary>
public sealed class VnetHashStamper
{
    private const int HashValueOffset = 12, HashReportOffset = 16, PaddingOffset = 18;

    private readonly PacketClassifier _classify;

    /// <param name="vnetHeaderBytes">The TAP's vnet header size: 12, or 20 with hash report.</param>
    public VnetHashStamper(PacketClassifier classify, int vnetHeaderBytes)
    {
        if (vnetHeaderBytes is not (Tap.VnetHeaderBytes or Tap.VnetHashHeaderBytes)) throw new ArgumentOutOfRangeException(nameof(vnetHeaderBytes));
        _classify = classify;
        VnetHeaderBytes = vnetHeaderBytes;
    }

    public int VnetHeaderBytes { get; }

    /// <summary>Classifies <paramref name="packet"/> (vnet header + frame) and stamps the hash when asked and the header has room.</summary>
    public SteeringDecision Stamp(Span<byte> packet, RssConfiguration config, bool reportHash)
    {
        ReadOnlySpan<byte> frame = packet.Length > VnetHeaderBytes ? packet[VnetHeaderBytes..] : [];
        SteeringDecision decision = _classify(frame, config);
        if (reportHash && VnetHeaderBytes >= Tap.VnetHashHeaderBytes && packet.Length >= Tap.VnetHashHeaderBytes)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(packet[HashValueOffset..], decision.HashValue);
            BinaryPrimitives.WriteUInt16LittleEndian(packet[HashReportOffset..], (ushort)decision.HashReport);
            BinaryPrimitives.WriteUInt16LittleEndian(packet[PaddingOffset..], 0);
        }
        return decision;
    }
}
