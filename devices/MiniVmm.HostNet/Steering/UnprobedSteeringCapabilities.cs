namespace MiniVmm.HostNet.Steering;

/// <summary>
/// What `steering=software` needs from the kernel: nothing, so nothing is probed (the probes cost a
/// BPF verification, a BTF parse and a throwaway TAP, about 150 ms). The log line then says so.
/// </summary>
public sealed class UnprobedSteeringCapabilities : ISteeringCapabilities
{
    private static readonly ProbeResult NotProbed = ProbeResult.No("not probed (steering=software needs nothing from the kernel)");

    public ProbeResult TunHashIoctls => NotProbed;

    public ProbeResult HashKfuncs => NotProbed;

    public ProbeResult EbpfSteering => NotProbed;
}
