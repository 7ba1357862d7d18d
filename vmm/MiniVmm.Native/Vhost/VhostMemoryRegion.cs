using System.Runtime.InteropServices;

namespace MiniVmm.Native.Vhost;

/// <summary>
/// struct vhost_memory_region: guest-physical [<see cref="GuestPhysAddr"/>, + <see cref="MemorySize"/>) is
/// the VMM's own mapping at <see cref="UserspaceAddr"/> (the kernel reads and writes guest RAM there, in
/// the address space of the process that called VHOST_SET_OWNER).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct VhostMemoryRegion
{
    public ulong GuestPhysAddr;
    public ulong MemorySize;
    public ulong UserspaceAddr;

    /// <summary>No flags are defined; must be 0.</summary>
    public ulong FlagsPadding;
}
