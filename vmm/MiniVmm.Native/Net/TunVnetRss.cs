using System.Runtime.InteropServices;

namespace MiniVmm.Native.Net;

/// <summary>
/// struct tun_vnet_rss of the (unmerged) tun virtio-net hashing series, v12: the fixed head of the
/// TUNSETVNETRSS / TUNSETVNETREPORTINGRSS argument, followed in memory by the indirection table
/// (indirection_table_mask + 1 little-endian u16) and the Toeplitz key. See docs/STEERING.md.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct TunVnetRss
{
    public const int SizeBytes = 8;

    public uint HashTypes;
    public ushort IndirectionTableMask;
    public ushort UnclassifiedQueue;
}
