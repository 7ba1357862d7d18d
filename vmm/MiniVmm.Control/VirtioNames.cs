using MiniVmm.Rss;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Control;

/// <summary>
/// Feature bits and hash types as the virtio 1.2 spec names them, without the VIRTIO_NET_F_,
/// VIRTIO_F_ and VIRTIO_NET_RSS_HASH_TYPE_ prefixes (§5.1.3, §6, §5.1.6.4.3.1).
/// </summary>
public static class VirtioNames
{
    private static readonly Dictionary<int, string> Features = new()
    {
        [VirtioNetFeature.Csum] = "CSUM",
        [VirtioNetFeature.GuestCsum] = "GUEST_CSUM",
        [VirtioNetFeature.CtrlGuestOffloads] = "CTRL_GUEST_OFFLOADS",
        [VirtioNetFeature.Mtu] = "MTU",
        [VirtioNetFeature.Mac] = "MAC",
        [VirtioNetFeature.GuestTso4] = "GUEST_TSO4",
        [VirtioNetFeature.GuestTso6] = "GUEST_TSO6",
        [VirtioNetFeature.HostTso4] = "HOST_TSO4",
        [VirtioNetFeature.HostTso6] = "HOST_TSO6",
        [VirtioNetFeature.MrgRxbuf] = "MRG_RXBUF",
        [VirtioNetFeature.Status] = "STATUS",
        [VirtioNetFeature.CtrlVq] = "CTRL_VQ",
        [VirtioNetFeature.CtrlRx] = "CTRL_RX",
        [VirtioNetFeature.CtrlVlan] = "CTRL_VLAN",
        [VirtioNetFeature.GuestAnnounce] = "GUEST_ANNOUNCE",
        [VirtioNetFeature.Mq] = "MQ",
        [VirtioNetFeature.CtrlMacAddr] = "CTRL_MAC_ADDR",
        [VirtioFeature.IndirectDesc] = "INDIRECT_DESC",
        [VirtioFeature.EventIdx] = "EVENT_IDX",
        [VirtioFeature.Version1] = "VERSION_1",
        [VirtioNetFeature.HashReport] = "HASH_REPORT",
        [VirtioNetFeature.Rss] = "RSS",
    };

    private static readonly (VirtioNetHashTypes Type, string Name)[] HashTypes =
    [
        (VirtioNetHashTypes.IPv4, "IPv4"),
        (VirtioNetHashTypes.TcpV4, "TCPv4"),
        (VirtioNetHashTypes.UdpV4, "UDPv4"),
        (VirtioNetHashTypes.IPv6, "IPv6"),
        (VirtioNetHashTypes.TcpV6, "TCPv6"),
        (VirtioNetHashTypes.UdpV6, "UDPv6"),
        (VirtioNetHashTypes.IPv6Ex, "IP_EX"),
        (VirtioNetHashTypes.TcpV6Ex, "TCP_EX"),
        (VirtioNetHashTypes.UdpV6Ex, "UDP_EX"),
    ];

    /// <summary>The name of every bit set, lowest first; "bit N" for a bit MiniVmm has no name for.</summary>
    public static IReadOnlyList<string> FeatureNames(ulong features)
    {
        var names = new List<string>();
        for (int bit = 0; bit < 64; bit++)
        {
            if ((features & (1UL << bit)) != 0) names.Add(Features.TryGetValue(bit, out string? name) ? name : $"bit {bit}");
        }
        return names;
    }

    /// <summary>The name of every hash type set, in bit order; "bit N" for a bit beyond UDP_EX.</summary>
    public static IReadOnlyList<string> HashTypeNames(VirtioNetHashTypes types)
    {
        var names = new List<string>();
        foreach (var (type, name) in HashTypes)
        {
            if ((types & type) != 0) names.Add(name);
        }
        for (int bit = HashTypes.Length; bit < 32; bit++)
        {
            if (((uint)types & (1u << bit)) != 0) names.Add($"bit {bit}");
        }
        return names;
    }
}
