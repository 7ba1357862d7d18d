using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>The header of struct kvm_msrs; nmsrs entries of <see cref="KvmMsrEntry"/> follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMsrs
{
    public uint Nmsrs;
    public uint Pad;
}
