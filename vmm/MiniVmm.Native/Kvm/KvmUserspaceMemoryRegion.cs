using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>struct kvm_userspace_memory_region: backs a guest-physical range with host memory.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmUserspaceMemoryRegion
{
    public uint Slot;
    public uint Flags;
    public ulong GuestPhysAddr;
    public ulong MemorySize;
    public ulong UserspaceAddr;
}
