using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>struct kvm_ioeventfd: a guest write to addr signals fd inside the kernel, no exit.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmIoEventFd
{
    public const uint FlagDataMatch = 1 << 0, FlagPio = 1 << 1, FlagDeassign = 1 << 2;

    public ulong DataMatch;
    public ulong Addr;
    public uint Len;
    public int Fd;
    public uint Flags;
    public fixed byte Pad[36];
}
