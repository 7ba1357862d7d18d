namespace MiniVmm.Rss;

/// <summary>
/// The hash types of virtio 1.2 §5.1.6.4.3.1 (VIRTIO_NET_HASH_TYPE_*): a bitmask the driver
/// sets in RSS_CONFIG / HASH_CONFIG and the device offers in supported_hash_types.
/// </summary>
[Flags]
public enum VirtioNetHashTypes : uint
{
    None = 0,
    IPv4 = 1 << 0,
    TcpV4 = 1 << 1,
    UdpV4 = 1 << 2,
    IPv6 = 1 << 3,
    TcpV6 = 1 << 4,
    UdpV6 = 1 << 5,
    IPv6Ex = 1 << 6,
    TcpV6Ex = 1 << 7,
    UdpV6Ex = 1 << 8,

    /// <summary>All nine types; what MiniVmm offers.</summary>
    All = IPv4 | TcpV4 | UdpV4 | IPv6 | TcpV6 | UdpV6 | IPv6Ex | TcpV6Ex | UdpV6Ex,
}
