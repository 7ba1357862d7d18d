using MiniVmm.HostNet.Steering;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.VhostNet;

/// <summary>
/// Whether the kernel's vhost-net or the VMM carries a TAP NIC's packets (docs/VHOST.md has the table):
/// a pure function of the request, the probes and the features, decided when the guest sets DRIVER_OK
/// from what it negotiated (as QEMU starts vhost then). vhost-net moves packets and vnet headers as
/// they are; it computes nothing. So it can carry the data path only when the kernel does the rest:
/// steering stays in the kernel (a BPF program or tun's RSS, not the VMM's re-steering), and a reported
/// hash is filled by the kernel (tun's hashing ioctls), which mainline kernels cannot do: with
/// HASH_REPORT negotiated there, `auto` keeps the in-process data path and says why.
/// </summary>
public static class VhostNetSelector
{
    /// <summary>Ring features of our offer that vhost-net implements itself (it must offer them to carry the rings).</summary>
    public static readonly ulong RingFeatures =
        VirtioFeature.Bit(VirtioFeature.Version1) | VirtioFeature.Bit(VirtioFeature.EventIdx)
        | VirtioFeature.Bit(VirtioFeature.IndirectDesc) | VirtioFeature.Bit(VirtioNetFeature.MrgRxbuf);

    public static string Name(VhostRequest request) => request switch
    {
        VhostRequest.Off => "off",
        VhostRequest.On => "on",
        VhostRequest.Auto => "auto",
        _ => throw new ArgumentOutOfRangeException(nameof(request)),
    };

    /// <summary>Parses vhost=VALUE; the error names the accepted values.</summary>
    public static VhostRequest Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "off" => VhostRequest.Off,
        "on" => VhostRequest.On,
        "auto" => VhostRequest.Auto,
        _ => throw new FormatException($"vhost={text}: expected on, off or auto"),
    };

    /// <summary>The data path for a guest that negotiated <paramref name="negotiated"/>, and the reason in words.</summary>
    public static DataPathChoice Choose(VhostNetConditions c, ulong negotiated)
    {
        string requested = $"vhost={Name(c.Requested)}";
        if (c.Requested == VhostRequest.Off) return new(DataPathKind.InProcess, requested);
        if (!c.Device.Available) return new(DataPathKind.InProcess, $"{requested}: vhost-net: {c.Device}");
        if (FindObstacle(c, negotiated) is (string obstacle, _)) return new(DataPathKind.InProcess, $"{requested}: negotiated {obstacle}");
        string steering = c.Steering == SteeringBackendKind.Software && !Has(negotiated, VirtioNetFeature.Rss)
            ? "no RSS negotiated: nothing for steering software to do, the TAP picks queues"
            : $"steering {SteeringSelector.Name(c.Steering)} keeps packets in the kernel";
        string hash = Has(negotiated, VirtioNetFeature.HashReport) ? "tun fills the reported hash" : "hash report not negotiated";
        return new(DataPathKind.VhostNet, $"{requested}: {steering}; {hash}");
    }

    /// <summary>
    /// What the guest is offered over a TAP with this request: with `on`, the ring features vhost-net lacks
    /// are not offered (QEMU masks them the same way); with `auto` and `off` the offer is the in-process one,
    /// which the in-process data path serves whatever is negotiated.
    /// </summary>
    public static ulong Offer(VhostNetConditions c, ulong deviceOffer)
    {
        if (c.Requested != VhostRequest.On) return deviceOffer;
        ulong maskable = RingFeatures & ~VirtioFeature.Bit(VirtioFeature.Version1);
        return deviceOffer & ~(maskable & ~c.DeviceFeatures);
    }

    /// <summary>
    /// `vhost=on` at start: throws <see cref="VhostNetUnavailableException"/> (one line: why, and what to
    /// change) when vhost-net is missing or could not carry something the guest would be offered, so the
    /// data path chosen at DRIVER_OK is always vhost-net.
    /// </summary>
    public static void CheckOn(VhostNetConditions c, ulong offer)
    {
        if (c.Requested != VhostRequest.On) return;
        if (!c.Device.Available) throw new VhostNetUnavailableException($"vhost=on: vhost-net: {c.Device}");
        if (FindObstacle(c, offer) is (string obstacle, string fix))
        {
            throw new VhostNetUnavailableException($"vhost=on: the kernel data path cannot serve {obstacle}; give {fix}vhost=auto to fall back to the in-process data path");
        }
    }

    /// <summary>The first negotiated (or offered) feature the kernel data path cannot serve, and the key that drops it.</summary>
    private static (string Obstacle, string Fix)? FindObstacle(VhostNetConditions c, ulong features)
    {
        ulong missingRing = features & RingFeatures & ~c.DeviceFeatures;
        if (missingRing != 0)
        {
            return ($"ring features 0x{missingRing:x}, which vhost-net does not offer (VHOST_GET_FEATURES 0x{c.DeviceFeatures:x})", "");
        }
        if (Has(features, VirtioNetFeature.Rss) && c.Steering == SteeringBackendKind.Software)
        {
            return ($"RSS with steering software, which re-steers every packet in the VMM (ebpf steering: {c.Probes.EbpfSteering})", "rss=off, or ");
        }
        if (!Has(features, VirtioNetFeature.HashReport)) return null;
        string? obstacle = c.Steering switch
        {
            SteeringBackendKind.Kernel when !Has(c.DeviceFeatures, VirtioNetFeature.HashReport) =>
                $"HASH_REPORT: tun fills the hash, but this vhost-net passes 12-byte vnet headers (VHOST_GET_FEATURES 0x{c.DeviceFeatures:x} lacks VIRTIO_NET_F_HASH_REPORT)",
            SteeringBackendKind.Kernel => null,
            // KfuncSteeringBackend detaches its program for HASH_CONFIG (no RSS steering): the VMM hashes then.
            SteeringBackendKind.EbpfKfuncs =>
                "HASH_REPORT with steering ebpf-kfuncs, whose program stores the hash only while it steers (RSS_CONFIG); after HASH_CONFIG the VMM hashes",
            _ => $"HASH_REPORT, and the kernel cannot report the hash: steering {SteeringSelector.Name(c.Steering)} leaves it to the VMM"
                + $" (tun hashing ioctls: {c.Probes.TunHashIoctls}; hash kfuncs: {c.Probes.HashKfuncs})",
        };
        return obstacle is null ? null : (obstacle, "hash-report=off, or ");
    }

    private static bool Has(ulong features, int bit) => (features & VirtioFeature.Bit(bit)) != 0;
}
