using System.Runtime.InteropServices;

namespace MiniVmm.Native.Vhost;

/// <summary>
/// struct vhost_memory without its flexible array: the header VHOST_SET_MEM_TABLE reads, followed in
/// memory by <see cref="NRegions"/> <see cref="VhostMemoryRegion"/>s (the ioctl number encodes only this header's size).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct VhostMemory
{
    public uint NRegions;
    public uint Padding;
}
