using MiniVmm.HostNet;
using MiniVmm.Native.Net;

namespace MiniVmm.UnitTests.HostNet;

public sealed class GuestOffloadsTests
{
    [Theory]
    // "VIRTIO_NET_F_GUEST_TSO4 Requires VIRTIO_NET_F_GUEST_CSUM." (virtio 1.2 §5.1.3.1): without CSUM nothing is offloaded.
    [InlineData(0UL, TunOffloads.None)]
    [InlineData(1UL << 7 | 1UL << 8, TunOffloads.None)]
    [InlineData(1UL << 1, TunOffloads.Csum)]
    [InlineData(1UL << 1 | 1UL << 7, TunOffloads.Csum | TunOffloads.Tso4)]
    [InlineData(1UL << 1 | 1UL << 7 | 1UL << 8 | 1UL << 9, TunOffloads.Csum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn)]
    // "VIRTIO_NET_F_GUEST_ECN Requires VIRTIO_NET_F_GUEST_TSO4 or VIRTIO_NET_F_GUEST_TSO6."
    [InlineData(1UL << 1 | 1UL << 9, TunOffloads.Csum)]
    [InlineData(1UL << 1 | 1UL << 10, TunOffloads.Csum | TunOffloads.Ufo)]
    public void NegotiatedGuestFeatures_MapToTunOffloads(ulong features, TunOffloads expected) =>
        Assert.Equal(expected, GuestOffloads.ToTunOffloads(features));
}
