using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.VhostUser.Protocol;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.VhostFrontEnd;

/// <summary>
/// What a guest is offered when a vhost back end carries the data path: the back end's features,
/// masked to what MiniVmm's transport serves (split rings, no IOMMU, no dirty logging), plus what
/// the VMM itself provides: the config space (MAC, STATUS) when the back end offers none, and the
/// control queue for MQ when the back end cannot take it (DPDK offers neither MAC, STATUS nor RSS).
/// </summary>
public static class VhostFeatures
{
    /// <summary>Feature bits of the virtio-net device and its rings that our virtio-pci transport can carry.</summary>
    public static readonly ulong TransportServes =
        VirtioFeature.Bit(VirtioFeature.Version1) | VirtioFeature.Bit(VirtioFeature.EventIdx) | VirtioFeature.Bit(VirtioFeature.IndirectDesc)
        | Bits(VirtioNetFeature.Csum, VirtioNetFeature.GuestCsum, VirtioNetFeature.Mtu, VirtioNetFeature.Mac,
            VirtioNetFeature.GuestTso4, VirtioNetFeature.GuestTso6, VirtioNetFeature.HostTso4, VirtioNetFeature.HostTso6,
            VirtioNetFeature.MrgRxbuf, VirtioNetFeature.Status, VirtioNetFeature.CtrlVq, VirtioNetFeature.Mq,
            VirtioNetFeature.HashReport, VirtioNetFeature.Rss);

    /// <summary>The guest's offer over <paramref name="backend"/>; whether the back end gets the control queue too.</summary>
    /// <param name="pairs">The queue pairs the guest gets (MQ only when more than one).</param>
    public static ulong ForGuest(IVhostBackend backend, int pairs, out bool backendServesControl)
    {
        ulong offered = backend.Features & ~VhostUserVirtioFeatures.NeverOffered & ~VhostUserVirtioFeatures.ProtocolFeatures;
        if ((offered & VirtioFeature.Bit(VirtioFeature.Version1)) == 0)
        {
            throw new VhostBackendException($"{backend.Name} does not offer VIRTIO_F_VERSION_1 (features 0x{backend.Features:x}); a modern device requires it");
        }
        ulong features = offered & TransportServes;
        backendServesControl = Has(features, VirtioNetFeature.CtrlVq) && (Has(features, VirtioNetFeature.Rss) || Has(features, VirtioNetFeature.HashReport));
        if (!backendServesControl)
        {
            // The VMM answers the control queue: MQ (VQ_PAIRS_SET as ring enables), nothing that needs the back end's help.
            features &= ~Bits(VirtioNetFeature.Rss, VirtioNetFeature.HashReport, VirtioNetFeature.Mq, VirtioNetFeature.CtrlVq);
            features |= VirtioFeature.Bit(VirtioNetFeature.CtrlVq);
            if (pairs > 1) features |= VirtioFeature.Bit(VirtioNetFeature.Mq);
        }
        // The VMM's config space holds a MAC and the link status whether or not the back end has one.
        return features | Bits(VirtioNetFeature.Mac, VirtioNetFeature.Status);
    }

    private static bool Has(ulong features, int bit) => (features & VirtioFeature.Bit(bit)) != 0;

    private static ulong Bits(params int[] bits) => bits.Aggregate(0UL, (f, b) => f | VirtioFeature.Bit(b));
}
