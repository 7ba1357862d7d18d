using MiniVmm.Rss.Packets;
using MiniVmm.Rss;
using static MiniVmm.Rss.VirtioNetHashTypes;

namespace MiniVmm.UnitTests.Rss;

/// <summary>Which hash type virtio 1.2 §5.1.6.4.3 picks; each test quotes the sentence it checks.</summary>
public sealed class HashTypeSelectionTests
{
    private static readonly byte[] Tcp4 = new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Tcp(1000, 80).Build();
    private static readonly byte[] Udp4 = new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Udp(1000, 53).Build();
    private static readonly byte[] Icmp4 = new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Protocol(IpProtocol.Icmp).WithPayloadLength(8).Build();
    private static readonly byte[] Tcp6 = new FrameBuilder().IPv6("2001:db8::1", "2001:db8::2").Tcp(1000, 80).Build();
    private static readonly byte[] Udp6 = new FrameBuilder().IPv6("2001:db8::1", "2001:db8::2").Udp(1000, 53).Build();
    private static readonly byte[] Tcp6WithHopByHop = new FrameBuilder().IPv6("2001:db8::1", "2001:db8::2").WithHopByHopOptions().Tcp(1000, 80).Build();
    private static readonly byte[] Udp6WithDestinationOptions = new FrameBuilder().IPv6("2001:db8::1", "2001:db8::2").WithDestinationOptions().Udp(1000, 53).Build();

    [Fact]
    public void TcpV4WinsForTcp()
    {
        // §5.1.6.4.3.2: "If VIRTIO_NET_HASH_TYPE_TCPv4 is set and the packet has a TCP header, the hash is
        // calculated over ... Source IP address, Destination IP address, Source TCP port, Destination TCP port".
        Assert.Equal(VirtioNetHashReport.TcpV4, Select(Tcp4, All));
        Assert.Equal(VirtioNetHashReport.TcpV4, Select(Tcp4, TcpV4));
    }

    [Fact]
    public void UdpV4OnlyForUdp()
    {
        // §5.1.6.4.3.2: "Else if VIRTIO_NET_HASH_TYPE_UDPv4 is set and the packet has a UDP header".
        Assert.Equal(VirtioNetHashReport.UdpV4, Select(Udp4, All));
        Assert.Equal(VirtioNetHashReport.None, Select(Tcp4, UdpV4));
    }

    [Fact]
    public void IPv4IsTheFallbackForAnyIPv4Packet()
    {
        // §5.1.6.4.3.2: "Else if VIRTIO_NET_HASH_TYPE_IPv4 is set, the hash is calculated over ... Source IP
        // address, Destination IP address".
        Assert.Equal(VirtioNetHashReport.IPv4, Select(Tcp4, IPv4 | UdpV4));
        Assert.Equal(VirtioNetHashReport.IPv4, Select(Udp4, IPv4 | TcpV4));
        Assert.Equal(VirtioNetHashReport.IPv4, Select(Icmp4, All));
    }

    [Fact]
    public void IPv4WithNothingApplicableIsNotHashed()
    {
        // §5.1.6.4.3.2: "Else the device does not calculate the hash".
        Assert.Equal(VirtioNetHashReport.None, Select(Icmp4, TcpV4 | UdpV4));
        Assert.Equal(VirtioNetHashReport.None, Select(Tcp4, None));
        Assert.Equal(VirtioNetHashReport.None, Select(Tcp4, IPv6 | TcpV6 | UdpV6 | IPv6Ex | TcpV6Ex | UdpV6Ex));
    }

    [Fact]
    public void IPv6WithoutExtensionHeadersUsesThePlainTypes()
    {
        // §5.1.6.4.3.3: "If VIRTIO_NET_HASH_TYPE_TCPv6 is set and the packet has a TCPv6 header ... Else if
        // VIRTIO_NET_HASH_TYPE_UDPv6 is set and the packet has a UDPv6 header ... Else if
        // VIRTIO_NET_HASH_TYPE_IPv6 is set ... Else the device does not calculate the hash".
        Assert.Equal(VirtioNetHashReport.TcpV6, Select(Tcp6, All));
        Assert.Equal(VirtioNetHashReport.UdpV6, Select(Udp6, All));
        Assert.Equal(VirtioNetHashReport.IPv6, Select(Tcp6, IPv6 | UdpV6));
        Assert.Equal(VirtioNetHashReport.None, Select(Udp6, TcpV6));
    }

    [Fact]
    public void ExTypesDoNotApplyToIPv6WithoutExtensionHeaders()
    {
        // The _EX rules are in §5.1.6.4.3.4 "IPv6 packets with extension header"; §5.1.6.4.3.3 (without)
        // names only TCPv6, UDPv6 and IPv6 (docs/RSS.md D7; QEMU differs).
        Assert.Equal(VirtioNetHashReport.None, Select(Tcp6, TcpV6Ex | UdpV6Ex | IPv6Ex));
        Assert.Equal(VirtioNetHashReport.TcpV6, Select(Tcp6, TcpV6 | TcpV6Ex));
    }

    [Fact]
    public void ExTypesApplyToIPv6WithExtensionHeaders()
    {
        // §5.1.6.4.3.4: "If VIRTIO_NET_HASH_TYPE_TCP_EX is set and the packet has a TCPv6 header ... Else if
        // VIRTIO_NET_HASH_TYPE_UDP_EX is set and the packet has a UDPv6 header ... Else if
        // VIRTIO_NET_HASH_TYPE_IP_EX is set".
        Assert.Equal(VirtioNetHashReport.TcpV6Ex, Select(Tcp6WithHopByHop, All));
        Assert.Equal(VirtioNetHashReport.UdpV6Ex, Select(Udp6WithDestinationOptions, All));
        Assert.Equal(VirtioNetHashReport.IPv6Ex, Select(Tcp6WithHopByHop, IPv6Ex | UdpV6Ex | TcpV6));
    }

    [Fact]
    public void ExtensionHeaderPacketsFallBackToThePlainTypes()
    {
        // §5.1.6.4.3.4: "Else skip IPv6 extension headers and calculate the hash as defined for an IPv6
        // packet without extension headers".
        Assert.Equal(VirtioNetHashReport.TcpV6, Select(Tcp6WithHopByHop, TcpV6 | IPv6));
        Assert.Equal(VirtioNetHashReport.UdpV6, Select(Udp6WithDestinationOptions, UdpV6 | TcpV6Ex));
        Assert.Equal(VirtioNetHashReport.IPv6, Select(Tcp6WithHopByHop, IPv6 | UdpV6Ex));
        Assert.Equal(VirtioNetHashReport.None, Select(Tcp6WithHopByHop, UdpV6Ex | UdpV6));
    }

    [Theory]
    [InlineData(VirtioNetHashReport.None, None)]
    [InlineData(VirtioNetHashReport.IPv4, IPv4)]
    [InlineData(VirtioNetHashReport.UdpV6, UdpV6)]
    [InlineData(VirtioNetHashReport.UdpV6Ex, UdpV6Ex)]
    public void ReportCodeMapsToItsType(VirtioNetHashReport report, VirtioNetHashTypes type)
    {
        // §5.1.6.4.4: "VIRTIO_NET_HASH_TYPE_XXX = 1 << (VIRTIO_NET_HASH_REPORT_XXX - 1)".
        Assert.Equal(type, RssHasher.TypeOf(report));
    }

    [Fact]
    public void NonIpFramesAreUnclassified()
    {
        byte[] arp = new FrameBuilder().Arp("10.0.0.1", "10.0.0.2").WithId(9).Build();
        byte[] llc = [.. new byte[12], 0x00, 0x40, .. new byte[64]];

        Assert.Equal(VirtioNetHashReport.None, Select(arp, All));
        Assert.Equal(VirtioNetHashReport.None, Select(llc, All));
        Assert.Equal(new RssResult(0, VirtioNetHashReport.None, 3), RssHasher.Compute(arp, VectorFrameTests.Config(All)));
    }

    [Fact]
    public void TruncatedTransportHeaderFallsBackToAddresses()
    {
        // "the packet has a TCP header": a whole 20-byte TCP (8-byte UDP) header must be in the frame (D5).
        byte[] cut = Tcp4[..^1];
        byte[] udpCut = Udp4[..^1];

        Assert.Equal(VirtioNetHashReport.IPv4, Select(cut, All));
        Assert.Equal(VirtioNetHashReport.IPv4, Select(udpCut, All));
        Assert.Equal(VirtioNetHashReport.None, Select(Tcp4[..33], All));
    }

    [Fact]
    public void IPv4OptionsMoveTheTransportHeader()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv4-2");
        byte[] frame = VectorFrameTests.Frame(vector).WithIPv4Options([0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00])
            .Tcp(vector.SourcePort, vector.DestinationPort).Build();

        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(All));

        Assert.Equal(0x47, frame[14]); // IHL 7: 20 + 8 option bytes
        Assert.Equal(VirtioNetHashReport.TcpV4, result.HashReport);
        Assert.Equal(vector.HashWithPorts, result.HashValue);
    }

    [Fact]
    public void MoreThanTwoVlanTagsAreUnclassified()
    {
        byte[] frame = new FrameBuilder().WithVlan(1, EtherType.ServiceVlan).WithVlan(2).WithVlan(3)
            .IPv4("10.0.0.1", "10.0.0.2").Tcp(1, 2).Build();

        Assert.Equal(VirtioNetHashReport.None, Select(frame, All));
    }

    private static VirtioNetHashReport Select(byte[] frame, VirtioNetHashTypes types)
    {
        Span<byte> input = stackalloc byte[RssHasher.MaxInputBytes];
        return RssHasher.Classify(frame, types, input, out _);
    }
}
