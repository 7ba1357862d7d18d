using System.Runtime.InteropServices;

namespace MiniVmm.Native.Vhost;

/// <summary>struct vhost_vring_file: a ring index and an fd (an eventfd, or a TAP queue for VHOST_NET_SET_BACKEND; -1 unbinds).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VhostVringFile
{
    public uint Index;
    public int Fd;
}
