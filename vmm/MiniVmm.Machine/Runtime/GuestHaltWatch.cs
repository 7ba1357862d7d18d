namespace MiniVmm.Machine.Runtime;

/// <summary>
/// Notices a guest that has stopped for good: every vCPU halted with interrupts off, or an AP never
/// started. That is where Linux's `halt` leaves a machine (native_machine_halt: every CPU in
/// stop_this_cpu, `cli; hlt`), and with the in-kernel irqchip such a HLT never exits to the VMM, so
/// without this the VM would sit there forever. Nothing in the machine sends NMIs, INITs or SMIs, so
/// nothing can wake such a guest again. Two samples in a row (an <see cref="Interval"/> apart) must
/// agree, so a vCPU that another woke between two samples of one round is not taken for dead.
/// </summary>
public sealed class GuestHaltWatch
{
    /// <summary>How often the vCPUs are sampled (one kick each): a halted guest ends within two of these.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>How long a vCPU thread may take to answer a sample before the round counts as "running".</summary>
    public static readonly TimeSpan SampleTimeout = TimeSpan.FromMilliseconds(500);

    private readonly IReadOnlyList<VcpuRunner> _runners;
    private int _stoppedRounds;

    public GuestHaltWatch(IReadOnlyList<VcpuRunner> runners)
    {
        _runners = runners;
    }

    /// <summary>Samples every vCPU once; true when this round and the one before found the guest stopped for good.</summary>
    public bool GuestHasStopped()
    {
        foreach (VcpuRunner r in _runners) r.RequestActivitySample();
        bool anyHalted = false, allStopped = true;
        foreach (VcpuRunner r in _runners)
        {
            VcpuActivity? activity = r.WaitActivitySample(SampleTimeout);
            if (activity == VcpuActivity.HaltedForGood) anyHalted = true;
            else if (activity != VcpuActivity.WaitingForStartup) allStopped = false;
        }
        _stoppedRounds = allStopped && anyHalted ? _stoppedRounds + 1 : 0;
        return _stoppedRounds >= 2;
    }
}
