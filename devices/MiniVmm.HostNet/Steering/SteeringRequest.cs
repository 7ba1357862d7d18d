namespace MiniVmm.HostNet.Steering;

/// <summary>What the user asked for with steering=...: auto, a family (ebpf) or one back end.</summary>
public enum SteeringRequest
{
    Auto,
    Kernel,

    /// <summary>Either eBPF back end: kfuncs when present, else hybrid.</summary>
    Ebpf,
    EbpfKfuncs,
    EbpfHybrid,
    Software,
}
