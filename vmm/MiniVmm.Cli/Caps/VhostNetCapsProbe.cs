using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Cli.Caps;

/// <summary>
/// The kernel's vhost-net: whether /dev/vhost-net opens (and the errno when not), what it offers
/// (VHOST_GET_FEATURES), and the data path `--net tap=...,vhost=auto` would take for a guest that
/// negotiates everything the TAP NIC offers, with hash report on and off (docs/VHOST.md).
/// </summary>
public static class VhostNetCapsProbe
{
    public static CapsSection Probe()
    {
        (ProbeResult device, ulong features) = VhostNetProbe.Probe();
        var items = new List<CapsItem>
        {
            CapsItem.Of("available", device.Available),
            CapsItem.Of("reason", device.Reason),
        };
        if (device.Available) items.Add(CapsItem.Of("features", $"0x{features:x}"));
        items.Add(CapsItem.Of("auto_with_hash_report", AutoChoice(device, features, hashReport: true).LogLine));
        items.Add(CapsItem.Of("auto_without_hash_report", AutoChoice(device, features, hashReport: false).LogLine));
        return new CapsSection("vhost_net", items);
    }

    /// <summary>What `vhost=auto` picks for a guest that accepts the whole offer (the steering probes run only when vhost-net is there).</summary>
    private static DataPathChoice AutoChoice(ProbeResult device, ulong features, bool hashReport)
    {
        ISteeringCapabilities caps;
        SteeringBackendKind steering = SteeringBackendKind.Software;
        if (device.Available)
        {
            using var bpf = new BpfSteeringProbe();
            caps = new KernelSteeringCapabilities(bpf);
            steering = SteeringSelector.Choose(SteeringRequest.Auto, caps, hashReport).Kind;
        }
        else
        {
            caps = new UnprobedSteeringCapabilities();
        }
        var conditions = new VhostNetConditions(VhostRequest.Auto, device, features & ~VhostNetBackend.VhostOnlyFeatures, steering, caps);
        ulong offer = VirtioNetDevice.OfferedFeatures(new VirtioNetOptions { Rss = true, HashReport = hashReport, BackendOffloads = NetOffloads.All });
        return VhostNetSelector.Choose(conditions, offer);
    }
}
