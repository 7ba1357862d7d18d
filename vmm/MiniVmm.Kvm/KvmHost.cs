namespace MiniVmm.Kvm;

/// <summary>Facts about the host's KVM that no ioctl reports.</summary>
public static class KvmHost
{
    /// <summary>The KVM flavour of this host, by its loaded module (kvm_pvm, kvm_intel, kvm_amd).</summary>
    public static KvmExecutionMode ExecutionMode { get; } =
        Directory.Exists("/sys/module/kvm_pvm") ? KvmExecutionMode.Pvm
        : Directory.Exists("/sys/module/kvm_intel") ? KvmExecutionMode.Vmx
        : Directory.Exists("/sys/module/kvm_amd") ? KvmExecutionMode.Svm
        : KvmExecutionMode.Unknown;

    /// <summary>True when ring-0 guest code is emulated (PVM).</summary>
    public static bool RingZeroEmulated => ExecutionMode == KvmExecutionMode.Pvm;
}
