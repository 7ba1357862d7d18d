using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>The header of struct kvm_irq_routing; nr entries follow it in memory.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmIrqRouting
{
    public uint Nr;
    public uint Flags;
}
