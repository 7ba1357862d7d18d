using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>The header of struct kvm_cpuid2; nent entries of <see cref="KvmCpuidEntry2"/> follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmCpuid2
{
    public uint Nent;
    public uint Padding;
}
