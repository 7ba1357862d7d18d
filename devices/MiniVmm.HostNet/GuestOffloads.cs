using MiniVmm.Native.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// Maps the receive offloads the guest negotiated (virtio 1.2 §5.1.3) to TUNSETOFFLOAD bits: the
/// TAP may then hand the guest packets with partial checksums or GSO only where the guest said it copes.
/// </summary>
public static class GuestOffloads
{
    public const int VirtioNetFGuestCsum = 1, VirtioNetFGuestTso4 = 7, VirtioNetFGuestTso6 = 8,
        VirtioNetFGuestEcn = 9, VirtioNetFGuestUfo = 10;

    /// <summary>The TUN_F_* set for a negotiated feature word. TSO and UFO need GUEST_CSUM, as in the spec's feature dependencies.</summary>
    public static TunOffloads ToTunOffloads(ulong negotiatedFeatures)
    {
        bool Has(int bit) => (negotiatedFeatures & (1UL << bit)) != 0;
        if (!Has(VirtioNetFGuestCsum)) return TunOffloads.None;
        TunOffloads offloads = TunOffloads.Csum;
        if (Has(VirtioNetFGuestTso4)) offloads |= TunOffloads.Tso4;
        if (Has(VirtioNetFGuestTso6)) offloads |= TunOffloads.Tso6;
        if (Has(VirtioNetFGuestEcn) && (offloads & (TunOffloads.Tso4 | TunOffloads.Tso6)) != 0) offloads |= TunOffloads.TsoEcn;
        if (Has(VirtioNetFGuestUfo)) offloads |= TunOffloads.Ufo;
        return offloads;
    }
}
