using MiniVmm.HostNet.VhostFrontEnd;
using MiniVmm.Native;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>What a guest is offered over a vhost back end (issue 10: masked to what our transport serves, plus what the VMM adds).</summary>
public sealed class VhostFeaturesTests
{
    private static ulong Bits(params int[] bits) => bits.Aggregate(0UL, (f, b) => f | VirtioFeature.Bit(b));

    private const int RingPacked = 34, AccessPlatform = 33, LogAll = 26, ProtocolFeatures = 30;

    [Fact]
    public void A_dpdk_like_back_end_gets_mq_answered_by_the_vmm_and_no_packed_rings()
    {
        // DPDK 22.11's net_vhost (seen 2026-12-02): no MAC, STATUS, CTRL_VQ or RSS, but RING_PACKED.
        var dpdk = new OfferOnly(Bits(VirtioFeature.Version1, VirtioFeature.EventIdx, VirtioNetFeature.MrgRxbuf, VirtioNetFeature.Csum,
            VirtioNetFeature.GuestCsum, RingPacked, ProtocolFeatures, LogAll), pairs: 2);
        ulong offer = VhostFeatures.ForGuest(dpdk, 2, out bool servesControl);
        Assert.False(servesControl);
        Assert.Equal(Bits(VirtioFeature.Version1, VirtioFeature.EventIdx, VirtioNetFeature.MrgRxbuf, VirtioNetFeature.Csum, VirtioNetFeature.GuestCsum,
            VirtioNetFeature.CtrlVq, VirtioNetFeature.Mq, VirtioNetFeature.Mac, VirtioNetFeature.Status), offer);
    }

    [Fact]
    public void A_back_end_with_rss_on_its_control_queue_gets_the_control_queue()
    {
        var ours = new OfferOnly(Bits(VirtioFeature.Version1, VirtioNetFeature.Mac, VirtioNetFeature.Status, VirtioNetFeature.CtrlVq,
            VirtioNetFeature.Mq, VirtioNetFeature.Rss, VirtioNetFeature.HashReport, AccessPlatform), pairs: 4);
        ulong offer = VhostFeatures.ForGuest(ours, 4, out bool servesControl);
        Assert.True(servesControl);
        Assert.Equal(Bits(VirtioFeature.Version1, VirtioNetFeature.Mac, VirtioNetFeature.Status, VirtioNetFeature.CtrlVq,
            VirtioNetFeature.Mq, VirtioNetFeature.Rss, VirtioNetFeature.HashReport), offer);
    }

    [Fact]
    public void One_pair_means_no_mq_and_ctrl_vq_without_rss_is_answered_by_the_vmm()
    {
        var b = new OfferOnly(Bits(VirtioFeature.Version1, VirtioNetFeature.CtrlVq, VirtioNetFeature.Mq), pairs: 1);
        ulong offer = VhostFeatures.ForGuest(b, 1, out bool servesControl);
        Assert.False(servesControl);
        Assert.Equal(0UL, offer & Bits(VirtioNetFeature.Mq));
        Assert.NotEqual(0UL, offer & Bits(VirtioNetFeature.CtrlVq));
    }

    [Fact]
    public void A_legacy_only_back_end_is_refused() =>
        Assert.Throws<VhostBackendException>(() => VhostFeatures.ForGuest(new OfferOnly(Bits(VirtioNetFeature.Mac), 1), 1, out _));

    private sealed class OfferOnly(ulong features, int pairs) : IVhostBackend
    {
        public string Name => "test back end";
        public ulong Features => features;
        public int QueuePairs => pairs;
        public event Action? ConfigChanged { add { } remove { } }
        public event Action? Disconnected { add { } remove { } }
        public bool TryReadConfig(Span<byte> config) => false;
        public void SetFeatures(ulong f) => throw new NotSupportedException();
        public void SetMemoryTable(IReadOnlyList<SharedMemoryRegion> regions) => throw new NotSupportedException();
        public void StartRing(VhostRing ring, ushort lastAvail, FileDescriptor kick, FileDescriptor call) => throw new NotSupportedException();
        public ushort StopRing(int index) => throw new NotSupportedException();
        public void SetRingEnabled(int index, bool enabled) => throw new NotSupportedException();
        public void Dispose() { }
    }
}
