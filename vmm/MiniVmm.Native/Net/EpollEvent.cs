using System.Runtime.InteropServices;

namespace MiniVmm.Native.Net;

/// <summary>
/// struct epoll_event: packed on x86-64 (12 bytes), so the 64-bit data word sits at offset 4.
/// We keep a caller-chosen token in the data word instead of a pointer.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct EpollEvent
{
    public const int SizeBytes = 12;

    public EpollEvents Events;
    public ulong Token;
}
