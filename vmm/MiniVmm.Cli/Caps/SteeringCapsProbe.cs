using MiniVmm.HostNet.Steering;

namespace MiniVmm.Cli.Caps;

/// <summary>
/// The steering probes (docs/STEERING.md): tun hashing ioctls by errno, hash kfuncs by name in kernel
/// BTF, eBPF steering by a real load and attach; and the back end `--steering auto` would pick, with hash
/// report on and off.
/// </summary>
public static class SteeringCapsProbe
{
    public static CapsSection Probe()
    {
        var caps = new KernelSteeringCapabilities(new BpfSteeringProbe());
        var items = new List<CapsItem>
        {
            CapsItem.Of("tun_hash_ioctls", caps.TunHashIoctls.Available),
            CapsItem.Of("tun_hash_ioctls_reason", caps.TunHashIoctls.Reason),
            CapsItem.Of("hash_kfuncs", caps.HashKfuncs.Available),
            CapsItem.Of("hash_kfuncs_reason", caps.HashKfuncs.Reason),
            CapsItem.Of("ebpf_steering", caps.EbpfSteering.Available),
            CapsItem.Of("ebpf_steering_reason", caps.EbpfSteering.Reason),
        };
        SteeringChoice withHash = SteeringSelector.Choose(SteeringRequest.Auto, caps, hashReportWanted: true);
        SteeringChoice withoutHash = SteeringSelector.Choose(SteeringRequest.Auto, caps, hashReportWanted: false);
        items.Add(CapsItem.Of("auto_backend", SteeringSelector.Name(withHash.Kind)));
        items.Add(CapsItem.Of("auto_backend_without_hash_report", SteeringSelector.Name(withoutHash.Kind)));
        items.Add(CapsItem.Of("auto_reason", withHash.LogLine));
        return new CapsSection("steering", items);
    }
}
