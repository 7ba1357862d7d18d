namespace MiniVmm.Rss;

/// <summary>
/// The hash_report values of struct virtio_net_hdr_v1_hash (virtio 1.2 §5.1.6.4.1,
/// VIRTIO_NET_HASH_REPORT_*): which hash type produced hash_value, 0 when none.
/// </summary>
public enum VirtioNetHashReport : ushort
{
    None = 0,
    IPv4 = 1,
    TcpV4 = 2,
    UdpV4 = 3,
    IPv6 = 4,
    TcpV6 = 5,
    UdpV6 = 6,
    IPv6Ex = 7,
    TcpV6Ex = 8,
    UdpV6Ex = 9,
}
