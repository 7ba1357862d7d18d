namespace MiniVmm.Native.Kvm;

/// <summary>KVM_CAP_* numbers for KVM_CHECK_EXTENSION (linux/kvm.h).</summary>
public enum KvmCapability
{
    Irqchip = 0,
    Hlt = 1,
    UserMemory = 3,
    SetTssAddr = 4,
    ExtCpuid = 7,
    NrVcpus = 9,
    IrqRouting = 25,
    IrqFd = 32,
    Pit2 = 33,
    IoEventFd = 36,
    MaxVcpus = 66,
    TscDeadlineTimer = 72,
    SignalMsi = 77,
    ImmediateExit = 136,
}
