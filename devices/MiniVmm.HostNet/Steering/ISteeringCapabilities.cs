namespace MiniVmm.HostNet.Steering;

/// <summary>What the host kernel offers for steering, each answer found by asking it (never from version strings).</summary>
public interface ISteeringCapabilities
{
    /// <summary>The tun virtio-net hashing ioctls (TUNGETVNETHASHTYPES and relatives): probed by errno on a throwaway TAP.</summary>
    ProbeResult TunHashIoctls { get; }

    /// <summary>The kfuncs a steering program calls to store the hash in the vnet header: looked up by name in kernel BTF.</summary>
    ProbeResult HashKfuncs { get; }

    /// <summary>Our steering program loads and TUNSETSTEERINGEBPF accepts it: probed with a real load and attach.</summary>
    ProbeResult EbpfSteering { get; }
}
