using System.Runtime.InteropServices;

namespace MiniVmm.Native.Unix;

/// <summary>struct cmsghdr (sys/socket.h, x86-64: 16 bytes): the header of one control message; data follows at CMSG_DATA.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CmsgHdr
{
    public const int SizeBytes = 16;

    public ulong Length;
    public int Level;
    public int Type;
}
