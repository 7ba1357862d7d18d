namespace MiniVmm.HostNet.Steering;

/// <summary>
/// The four ways a received packet reaches the queue the guest's RSS configuration names
/// (docs/STEERING.md), best first.
/// </summary>
public enum SteeringBackendKind
{
    /// <summary>The tun driver hashes, steers and reports (virtio-net hashing ioctls; not in mainline).</summary>
    Kernel,

    /// <summary>Our BPF program steers and stores the hash through kfuncs (not in mainline).</summary>
    EbpfKfuncs,

    /// <summary>Our BPF program steers (TUNSETSTEERINGEBPF); the VMM hashes again only for hash report.</summary>
    EbpfHybrid,

    /// <summary>The VMM hashes every packet and re-steers it between its queue-pair workers.</summary>
    Software,
}
