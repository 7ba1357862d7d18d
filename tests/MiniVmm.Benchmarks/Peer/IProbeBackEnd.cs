namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// A back end process that serves the VMM's NIC over vhost-user (ours, or DPDK's testpmd): started
/// before the VMM, disposed after it; <see cref="Pid"/> lets <see cref="ProbeVm"/> sample its CPU time.
/// </summary>
public interface IProbeBackEnd : IDisposable
{
    int Pid { get; }
}
