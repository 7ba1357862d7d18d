using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>struct kvm_dtable: GDTR / IDTR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmDtable
{
    public ulong Base;
    public ushort Limit;
    public ushort Padding0, Padding1, Padding2;
}
