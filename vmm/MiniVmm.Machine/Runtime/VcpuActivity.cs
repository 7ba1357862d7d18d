namespace MiniVmm.Machine.Runtime;

/// <summary>What a vCPU was doing when sampled (KVM_GET_MP_STATE and RFLAGS.IF).</summary>
public enum VcpuActivity
{
    /// <summary>Runnable, or halted with interrupts on: an interrupt can move it on.</summary>
    Running,

    /// <summary>Halted with interrupts off (`cli; hlt`): only an NMI, INIT or SMI would wake it.</summary>
    HaltedForGood,

    /// <summary>An application processor that never got (or is waiting for) its INIT/SIPI.</summary>
    WaitingForStartup,
}
