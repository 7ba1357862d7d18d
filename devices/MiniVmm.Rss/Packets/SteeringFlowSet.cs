namespace MiniVmm.Rss.Packets;

/// <summary>
/// The frames `minivmm steer-test` and the host tests send: every kind the classifier distinguishes
/// (IPv4/IPv6 × TCP/UDP with several flows each, VLAN and QinQ, IPv4 options, fragments, IPv6 extension
/// headers with and without the Home Address option and type-2 routing header, ICMP, ARP). Addresses are
/// from the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32). Every frame ends with its
/// id ("MVID" + big-endian u32), ids counting up from <c>firstId</c>. Deterministic: same list every call.
/// </summary>
public static class SteeringFlowSet
{
    public static IReadOnlyList<SteeringFlow> Build(uint firstId = 1, int flowsPerKind = 8)
    {
        var flows = new List<SteeringFlow>();
        uint id = firstId;
        void Add(string kind, FrameBuilder builder) => flows.Add(new SteeringFlow(id, kind, builder.WithId(id++).Build()));

        for (int i = 0; i < flowsPerKind; i++)
        {
            ushort port = (ushort)(40000 + (i * 7919 % 20000));
            string v4 = $"192.0.2.{10 + i % 240}"; // flows beyond 240 differ by source port
            string v6 = $"2001:db8:1::{10 + i:x}";
            Add("ipv4-tcp", new FrameBuilder().IPv4(v4, "198.51.100.1").Tcp(port, 80).WithPayloadLength(32));
            Add("ipv4-udp", new FrameBuilder().IPv4(v4, "198.51.100.1").Udp(port, 53).WithPayloadLength(32));
            Add("ipv6-tcp", new FrameBuilder().IPv6(v6, "2001:db8:2::1").Tcp(port, 80).WithPayloadLength(32));
            Add("ipv6-udp", new FrameBuilder().IPv6(v6, "2001:db8:2::1").Udp(port, 53).WithPayloadLength(32));
        }

        Add("ipv4-tcp-vlan", new FrameBuilder().WithVlan(100).IPv4("192.0.2.50", "198.51.100.1").Tcp(40100, 443));
        Add("ipv4-udp-qinq", new FrameBuilder().WithVlan(10, EtherType.ServiceVlan).WithVlan(100).IPv4("192.0.2.51", "198.51.100.1").Udp(40101, 53));
        Add("ipv6-tcp-vlan", new FrameBuilder().WithVlan(200).IPv6("2001:db8:1::50", "2001:db8:2::1").Tcp(40102, 443));
        Add("ipv4-tcp-options", new FrameBuilder().IPv4("192.0.2.52", "198.51.100.1").WithIPv4Options([0x94, 0x04, 0x00, 0x00]).Tcp(40103, 22));
        Add("ipv4-udp-fragment-first", new FrameBuilder().IPv4("192.0.2.53", "198.51.100.1").Udp(40104, 53).AsFragment(0, moreFragments: true).WithPayloadLength(64));
        Add("ipv4-udp-fragment-later", new FrameBuilder().IPv4("192.0.2.53", "198.51.100.1").Udp(40104, 53).AsFragment(72, moreFragments: false).WithPayloadLength(64));
        Add("ipv4-icmp", new FrameBuilder().IPv4("192.0.2.54", "198.51.100.1").Protocol(IpProtocol.Icmp).WithPayload([8, 0, 0xf7, 0xff, 0, 0, 0, 0]));
        Add("ipv6-icmp", new FrameBuilder().IPv6("2001:db8:1::54", "2001:db8:2::1").Protocol(IpProtocol.IcmpV6).WithPayload([128, 0, 0, 0, 0, 0, 0, 0]));
        Add("ipv6-tcp-hop-by-hop", new FrameBuilder().IPv6("2001:db8:1::55", "2001:db8:2::1").WithHopByHopOptions().Tcp(40105, 80));
        Add("ipv6-tcp-home-address-rh2", new FrameBuilder().IPv6("2001:db8:1::56", "2001:db8:2::1")
            .WithRoutingType2("2001:db8:3::1").WithHomeAddress("2001:db8:4::1").Tcp(40106, 80));
        Add("ipv6-udp-destination-options", new FrameBuilder().IPv6("2001:db8:1::57", "2001:db8:2::1").WithDestinationOptions().Udp(40107, 53));
        Add("ipv6-udp-fragment-first", new FrameBuilder().IPv6("2001:db8:1::58", "2001:db8:2::1").AsFragment(0, moreFragments: true).Udp(40108, 53).WithPayloadLength(64));
        Add("ipv6-udp-fragment-later", new FrameBuilder().IPv6("2001:db8:1::58", "2001:db8:2::1").AsFragment(72, moreFragments: false).Udp(40108, 53).WithPayloadLength(64));
        Add("arp", new FrameBuilder().Arp("192.0.2.59", "192.0.2.1"));
        return flows;
    }
}
