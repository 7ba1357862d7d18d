namespace MiniVmm.Cli.Captures;

/// <summary>The LINKTYPE_ values of pcap and pcapng (tcpdump.org's link-layer header types) that captures most often carry.</summary>
public static class LinkType
{
    public const uint Ethernet = 1;

    /// <summary>A name for an error line: "LINKTYPE_RAW (101)".</summary>
    public static string Describe(uint linkType) => linkType switch
    {
        0 => "LINKTYPE_NULL (0, BSD loopback)",
        1 => "LINKTYPE_ETHERNET (1)",
        101 => "LINKTYPE_RAW (101, raw IP)",
        105 => "LINKTYPE_IEEE802_11 (105)",
        113 => "LINKTYPE_LINUX_SLL (113, Linux cooked capture, e.g. tcpdump -i any)",
        127 => "LINKTYPE_IEEE802_11_RADIOTAP (127)",
        276 => "LINKTYPE_LINUX_SLL2 (276, Linux cooked capture v2)",
        _ => $"link type {linkType}",
    };
}
