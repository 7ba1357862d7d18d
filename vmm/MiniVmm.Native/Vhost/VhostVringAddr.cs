using System.Runtime.InteropServices;

namespace MiniVmm.Native.Vhost;

/// <summary>
/// struct vhost_vring_addr: where a split ring's three parts are, as addresses in the VMM's own
/// address space (not guest-physical: the kernel dereferences them as user pointers).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct VhostVringAddr
{
    public uint Index;

    /// <summary>Bit VHOST_VRING_F_LOG enables write logging to <see cref="LogGuestAddr"/>; MiniVmm leaves it 0.</summary>
    public uint Flags;

    public ulong DescUserAddr;
    public ulong UsedUserAddr;
    public ulong AvailUserAddr;
    public ulong LogGuestAddr;

    public override readonly string ToString() =>
        $"{{index {Index}, flags {Flags}, desc 0x{DescUserAddr:x}, used 0x{UsedUserAddr:x}, avail 0x{AvailUserAddr:x}, log 0x{LogGuestAddr:x}}}";
}
