namespace MiniVmm.Native.Kvm;

/// <summary>kvm_run.exit_reason values (KVM_EXIT_*), the ones an x86 VMM meets.</summary>
public enum KvmExitReason : uint
{
    Unknown = 0,
    Exception = 1,
    Io = 2,
    Hypercall = 3,
    Debug = 4,
    Hlt = 5,
    Mmio = 6,
    IrqWindowOpen = 7,
    Shutdown = 8,
    FailEntry = 9,
    Intr = 10,
    InternalError = 17,
    SystemEvent = 24,

    /// <summary>Not a kernel value: KVM_RUN returned EINTR (a kick or immediate_exit).</summary>
    Interrupted = 0xFFFF_FFFF,
}
