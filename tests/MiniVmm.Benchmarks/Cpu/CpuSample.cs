namespace MiniVmm.Benchmarks.Cpu;

/// <summary>
/// CPU time a process (all its threads) had used at one moment, in nanoseconds: on-CPU time
/// (user + system, and guest code run by its vCPU threads), the part of it on vCPU threads, and
/// the kernel's user/system/guest split (/proc/PID/stat, 10 ms ticks).
/// </summary>
/// <param name="TotalNs">Sum over live threads of /proc/PID/task/TID/schedstat's run time (ns resolution), or utime + stime when larger (a thread ended).</param>
/// <param name="VcpuNs">The same sum over the threads that run the guest (named "vcpuN" by MiniVmm, "CPU N/KVM" by QEMU).</param>
public readonly record struct CpuSample(long TotalNs, long VcpuNs, long UserNs, long SystemNs, long GuestNs)
{
    /// <summary>CPU time outside the vCPU threads: the VMM's device work (I/O threads, workers, main loop).</summary>
    public long OutsideVcpuNs => TotalNs - VcpuNs;

    public static CpuSample operator -(CpuSample a, CpuSample b) =>
        new(a.TotalNs - b.TotalNs, a.VcpuNs - b.VcpuNs, a.UserNs - b.UserNs, a.SystemNs - b.SystemNs, a.GuestNs - b.GuestNs);
}
