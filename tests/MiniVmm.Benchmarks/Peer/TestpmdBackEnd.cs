using MiniVmm.Testing.Dpdk;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// DPDK's dpdk-testpmd as the back end (<see cref="Testpmd"/>: net_vhost port, no hugepages, both
/// lcores on CPU 0): its PMD thread busy-polls, so its CPU time is about one CPU for as long as it
/// runs, whatever the rate; the per-frame figure is then that, not the cost of the work.
/// </summary>
public sealed class TestpmdBackEnd(Testpmd testpmd) : IProbeBackEnd
{
    public int Pid => testpmd.Pid;

    public void Dispose() => testpmd.Dispose();
}
