using MiniVmm.Virtio.Net.Rss;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// The software back end's per-packet step, run by the worker that read the packet from its TAP
/// queue: classify and stamp the hash (<see cref="VnetHashStamper"/>), then hand the packet to
/// the worker of its target queue through the <see cref="SteeringExchange"/> unless it already is that worker.
/// </summary>
public sealed class SoftwareSteerer
{
    private readonly SteeringExchange _exchange;
    private readonly VnetHashStamper _stamper;

    /// <param name="vnetHeaderBytes">The TAP's vnet header size: 12, or 20 with hash report.</param>
    public SoftwareSteerer(SteeringExchange exchange, PacketClassifier classify, int vnetHeaderBytes)
    {
        _exchange = exchange;
        _stamper = new VnetHashStamper(classify, vnetHeaderBytes);
    }

    public int VnetHeaderBytes => _stamper.VnetHeaderBytes;

    /// <summary>
    /// Steers one packet (vnet header + frame) read by the worker of <paramref name="source"/>.
    /// Returns the target queue: when it equals <paramref name="source"/> the caller delivers the
    /// (now hash-stamped) packet itself; otherwise it was forwarded, or dropped if the target's ring was full.
    /// </summary>
    public int Steer(int source, Span<byte> packet, RssConfiguration config, int activePairs, bool reportHash)
    {
        SteeringDecision decision = _stamper.Stamp(packet, config, reportHash);
        // The pair count may shrink after the table was set: wrap, as the kernel's tun does.
        int target = decision.Queue < activePairs ? decision.Queue : decision.Queue % activePairs;
        if (target != source) _exchange.Forward(source, target, packet);
        return target;
    }
}
