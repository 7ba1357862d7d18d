using System.Runtime.InteropServices;

namespace MiniVmm.Native.Unix;

/// <summary>struct iovec (sys/uio.h, 16 bytes): one buffer of a scatter/gather list.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct IoVec
{
    public const int SizeBytes = 16;

    public void* Base;
    public ulong Length;
}
