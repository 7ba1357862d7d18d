namespace MiniVmm.Control.Protocol;

/// <summary>Which steering back end puts packets on queues ("ebpf-hybrid", ...) and the one line that says why (the probe results).</summary>
public sealed record SteeringInfo(string Backend, string Reason);
