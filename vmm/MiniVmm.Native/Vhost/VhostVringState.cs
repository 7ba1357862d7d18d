using System.Runtime.InteropServices;

namespace MiniVmm.Native.Vhost;

/// <summary>struct vhost_vring_state: a ring index and a number (its size, or its last_avail_idx for SET/GET_VRING_BASE).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VhostVringState
{
    public uint Index;
    public uint Num;

    public VhostVringState(uint index, uint num)
    {
        Index = index;
        Num = num;
    }

    public override readonly string ToString() => $"{{index {Index}, num {Num}}}";
}
