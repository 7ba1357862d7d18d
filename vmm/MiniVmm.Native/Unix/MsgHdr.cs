using System.Runtime.InteropServices;

namespace MiniVmm.Native.Unix;

/// <summary>struct msghdr (sys/socket.h, x86-64: 56 bytes), as sendmsg(2) and recvmsg(2) take it.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct MsgHdr
{
    public const int SizeBytes = 56;

    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public ulong IovLength;
    public void* Control;
    public ulong ControlLength;
    public int Flags;
}
