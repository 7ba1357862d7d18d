using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>struct kvm_cpuid_entry2: one CPUID leaf/subleaf.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmCpuidEntry2
{
    public uint Function;
    public uint Index;
    public uint Flags;
    public uint Eax, Ebx, Ecx, Edx;
    public fixed uint Padding[3];
}
