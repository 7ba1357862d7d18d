namespace MiniVmm.Benchmarks.Cpu;

/// <summary>
/// CPU time a process (all its threads) had used at one moment, in nanoseconds: on-CPU time
/// (user + system, and guest code run by its vCPU threads), the run time of each vCPU thread, and
/// the kernel's user/system/guest split (/proc/PID/stat, 10 ms ticks).
/// </summary>
/// <param name="TotalNs">Sum over live threads of /proc/PID/task/TID/schedstat's run time (ns resolution), or utime + stime when larger (a thread ended).</param>
/// <param name="VcpuThreads">Thread id -> run time of the threads that run the guest (named "vcpuN" by MiniVmm, "CPU N/KVM" by QEMU).</param>
public readonly record struct CpuSample(long TotalNs, IReadOnlyDictionary<int, long> VcpuThreads, long UserNs, long SystemNs, long GuestNs)
{
    /// <summary>Run time of the vCPU threads.</summary>
    public long VcpuNs => VcpuThreads.Values.Sum();

    /// <summary>CPU time outside the vCPU threads: the VMM's device work (I/O threads, workers, main loop).</summary>
    public long OutsideVcpuNs => TotalNs - VcpuNs;

    /// <summary>
    /// The interval from <paramref name="b"/> to <paramref name="a"/>. vCPU time counts only threads
    /// present in both samples: a thread created by a vCPU thread carries its name until renamed, and
    /// when such a helper ends between the samples its time must not make the vCPU share shrink.
    /// </summary>
    public static CpuSample operator -(CpuSample a, CpuSample b) =>
        new(a.TotalNs - b.TotalNs,
            a.VcpuThreads.Where(t => b.VcpuThreads.ContainsKey(t.Key)).ToDictionary(t => t.Key, t => t.Value - b.VcpuThreads[t.Key]),
            a.UserNs - b.UserNs, a.SystemNs - b.SystemNs, a.GuestNs - b.GuestNs);
}
