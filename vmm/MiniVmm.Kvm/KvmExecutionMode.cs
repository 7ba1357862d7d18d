namespace MiniVmm.Kvm;

/// <summary>
/// How this host's KVM runs guest code: hardware virtualization (VMX/SVM), or PVM, where only ring-3
/// guest code runs natively and ring-0 code is emulated instruction by instruction (docs/LINUX.md).
/// Read from the loaded KVM modules, which is what decides it.
/// </summary>
public enum KvmExecutionMode
{
    Unknown,
    Vmx,
    Svm,
    Pvm,
}
