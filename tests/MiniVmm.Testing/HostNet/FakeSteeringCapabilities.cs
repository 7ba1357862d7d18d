using MiniVmm.HostNet.Steering;

namespace MiniVmm.Testing;

/// <summary>A capability source with canned answers, for selection logic.</summary>
public sealed class FakeSteeringCapabilities : ISteeringCapabilities
{
    public static readonly ProbeResult IoctlsAbsent = ProbeResult.No("TUNGETVNETHASHTYPES answered EINVAL");
    public static readonly ProbeResult IoctlsPresent = ProbeResult.Yes("TUNGETVNETHASHTYPES answered hash types 0x1ff");
    public static readonly ProbeResult KfuncsAbsent = ProbeResult.No("bpf_skb_set_vnet_hash not in kernel BTF");
    public static readonly ProbeResult KfuncsPresent = ProbeResult.Yes("bpf_skb_set_vnet_hash in kernel BTF");
    public static readonly ProbeResult BpfDenied = ProbeResult.No("BPF_PROG_LOAD: EPERM");
    public static readonly ProbeResult BpfWorks = ProbeResult.Yes("loaded and attached");

    public ProbeResult TunHashIoctls { get; init; } = IoctlsAbsent;

    public ProbeResult HashKfuncs { get; init; } = KfuncsAbsent;

    public ProbeResult EbpfSteering { get; init; } = BpfWorks;
}
