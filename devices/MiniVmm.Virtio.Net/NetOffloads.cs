namespace MiniVmm.Virtio.Net;

/// <summary>What the back end can do with the vnet header's offload fields (a TAP with IFF_VNET_HDR can do all).</summary>
[Flags]
public enum NetOffloads
{
    None = 0,
    /// <summary>Partial checksums both ways (VIRTIO_NET_F_CSUM / GUEST_CSUM).</summary>
    Checksum = 1,
    /// <summary>TCPv4 segmentation both ways (HOST_TSO4 / GUEST_TSO4); needs Checksum.</summary>
    Tso4 = 2,
    /// <summary>TCPv6 segmentation both ways (HOST_TSO6 / GUEST_TSO6); needs Checksum.</summary>
    Tso6 = 4,
    All = Checksum | Tso4 | Tso6,
}
