namespace MiniVmm.Rss.Packets;

/// <summary>Ethernet II type field values the classifier and <see cref="FrameBuilder"/> know (IEEE 802.3, IANA).</summary>
public static class EtherType
{
    /// <summary>Smallest value that is a type rather than an IEEE 802.3 length.</summary>
    public const ushort MinimumType = 0x0600;

    public const ushort IPv4 = 0x0800;
    public const ushort Arp = 0x0806;

    /// <summary>IEEE 802.1Q customer VLAN tag (C-tag).</summary>
    public const ushort Vlan = 0x8100;

    public const ushort IPv6 = 0x86DD;

    /// <summary>IEEE 802.1ad service VLAN tag (S-tag, "QinQ" outer tag).</summary>
    public const ushort ServiceVlan = 0x88A8;
}
