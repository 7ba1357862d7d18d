using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>struct kvm_irqfd: a write to fd injects GSI gsi inside the kernel.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmIrqFd
{
    public const uint FlagDeassign = 1 << 0;

    public uint Fd;
    public uint Gsi;
    public uint Flags;
    public uint ResampleFd;
    public fixed byte Pad[16];
}
