using MiniVmm.Rss.Packets;
using MiniVmm.Rss;
using static MiniVmm.Rss.VirtioNetHashTypes;

namespace MiniVmm.UnitTests.Rss;

/// <summary>IPv6 extension headers: the _EX types' Home Address option and type-2 routing header, and the walk.</summary>
public sealed class IPv6ExtensionHeaderTests
{
    public static TheoryData<string> IPv6Ids() => ["msft-ipv6-1", "msft-ipv6-2", "msft-ipv6-3"];

    [Theory]
    [MemberData(nameof(IPv6Ids))]
    public void TcpExHashesHomeAddressAndRoutingHeaderAddress(string id)
    {
        // §5.1.6.4.3.4 TCP_EX: "Home address from the home address option in the IPv6 destination options
        // header ... IPv6 address that is contained in the Routing-Header-Type-2 ... Source TCP port,
        // Destination TCP port". The fixed header carries other addresses, the options the vector's.
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] frame = new FrameBuilder().IPv6("2001:db8::aaaa", "2001:db8::bbbb")
            .WithRoutingType2(vector.DestinationAddress).WithHomeAddress(vector.SourceAddress)
            .Tcp(vector.SourcePort, vector.DestinationPort).WithId(5).Build();

        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(All));

        Assert.Equal(VirtioNetHashReport.TcpV6Ex, result.HashReport);
        Assert.Equal(vector.HashWithPorts, result.HashValue);
    }

    [Theory]
    [MemberData(nameof(IPv6Ids))]
    public void UdpExAndIpExUseTheSameAddresses(string id)
    {
        // §5.1.6.4.3.4 UDP_EX and IP_EX list the same two address fields.
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] udp = new FrameBuilder().IPv6("2001:db8::aaaa", "2001:db8::bbbb")
            .WithRoutingType2(vector.DestinationAddress).WithHomeAddress(vector.SourceAddress)
            .Udp(vector.SourcePort, vector.DestinationPort).Build();

        Assert.Equal(new RssResult(vector.HashWithPorts, VirtioNetHashReport.UdpV6Ex, (ushort)(10 + (vector.HashWithPorts & 7))),
            RssHasher.Compute(udp, VectorFrameTests.Config(All)));
        Assert.Equal(new RssResult(vector.HashAddressesOnly, VirtioNetHashReport.IPv6Ex, (ushort)(10 + (vector.HashAddressesOnly & 7))),
            RssHasher.Compute(udp, VectorFrameTests.Config(IPv6Ex | TcpV6Ex)));
    }

    [Theory]
    [MemberData(nameof(IPv6Ids))]
    public void AbsentOptionsFallBackToTheFixedHeaderAddresses(string id)
    {
        // §5.1.6.4.3.4: "If the extension header is not present, use the Source [Destination] IPv6 address".
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] onlyHome = new FrameBuilder().IPv6("2001:db8::aaaa", vector.DestinationAddress)
            .WithHomeAddress(vector.SourceAddress).Tcp(vector.SourcePort, vector.DestinationPort).Build();
        byte[] onlyRouting = new FrameBuilder().IPv6(vector.SourceAddress, "2001:db8::bbbb")
            .WithRoutingType2(vector.DestinationAddress).Tcp(vector.SourcePort, vector.DestinationPort).Build();
        byte[] neither = new FrameBuilder().IPv6(vector.SourceAddress, vector.DestinationAddress)
            .WithHopByHopOptions().WithDestinationOptions().Tcp(vector.SourcePort, vector.DestinationPort).Build();

        foreach (byte[] frame in new[] { onlyHome, onlyRouting, neither })
        {
            RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(TcpV6Ex));
            Assert.Equal(VirtioNetHashReport.TcpV6Ex, result.HashReport);
            Assert.Equal(vector.HashWithPorts, result.HashValue);
        }
    }

    [Theory]
    [MemberData(nameof(IPv6Ids))]
    public void PlainTypesIgnoreHomeAddressAndRoutingHeader(string id)
    {
        // §5.1.6.4.3.4: "Else skip IPv6 extension headers and calculate the hash as defined for an IPv6 packet
        // without extension headers": the fixed header's addresses.
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] frame = new FrameBuilder().IPv6(vector.SourceAddress, vector.DestinationAddress)
            .WithRoutingType2("2001:db8::bbbb").WithHomeAddress("2001:db8::aaaa")
            .Tcp(vector.SourcePort, vector.DestinationPort).Build();

        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(TcpV6 | IPv6 | UdpV6Ex));

        Assert.Equal(VirtioNetHashReport.TcpV6, result.HashReport);
        Assert.Equal(vector.HashWithPorts, result.HashValue);
    }

    [Fact]
    public void AtomicFragmentKeepsItsPorts()
    {
        // RFC 6946 atomic fragment (offset 0, M 0) is a whole packet (docs/RSS.md D9).
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv6-1");
        byte[] frame = VectorFrameTests.Frame(vector).AsFragment(0, moreFragments: false).Tcp(vector.SourcePort, vector.DestinationPort).Build();

        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(TcpV6));

        Assert.Equal(VirtioNetHashReport.TcpV6, result.HashReport);
        Assert.Equal(vector.HashWithPorts, result.HashValue);
    }

    [Fact]
    public void FragmentHeaderHidesTheTransportEvenForTheFirstFragment()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv6-2");
        byte[] frame = VectorFrameTests.Frame(vector).WithHopByHopOptions().AsFragment(0, moreFragments: true)
            .Udp(vector.SourcePort, vector.DestinationPort).WithPayloadLength(100).Build();

        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(All));

        Assert.Equal(VirtioNetHashReport.IPv6Ex, result.HashReport);
        Assert.Equal(vector.HashAddressesOnly, result.HashValue);
    }

    [Fact]
    public void AuthenticationHeaderIsWalked()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv6-3");
        byte[] frame = VectorFrameTests.Frame(vector).WithExtensionHeader(IpProtocol.AuthenticationHeader, new byte[22])
            .Tcp(vector.SourcePort, vector.DestinationPort).Build();

        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(TcpV6));

        Assert.Equal(VirtioNetHashReport.TcpV6, result.HashReport);
        Assert.Equal(vector.HashWithPorts, result.HashValue);
    }

    [Fact]
    public void EspEndsTheWalkWithAddressesOnly()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv6-1");
        byte[] frame = VectorFrameTests.Frame(vector).Protocol(IpProtocol.EncapsulatingSecurityPayload).WithPayloadLength(40).Build();

        Assert.Equal(new RssResult(vector.HashAddressesOnly, VirtioNetHashReport.IPv6Ex, (ushort)(10 + (vector.HashAddressesOnly & 7))),
            RssHasher.Compute(frame, VectorFrameTests.Config(All)));
    }

    [Fact]
    public void TooManyExtensionHeadersHideTheTransport()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv6-1");
        FrameBuilder atLimit = VectorFrameTests.Frame(vector);
        FrameBuilder overLimit = VectorFrameTests.Frame(vector).WithDestinationOptions();
        for (int i = 0; i < FrameParser.MaxIPv6ExtensionHeaders; i++)
        {
            atLimit.WithDestinationOptions();
            overLimit.WithDestinationOptions();
        }

        RssConfiguration config = VectorFrameTests.Config(TcpV6 | IPv6);
        Assert.Equal(vector.HashWithPorts, RssHasher.Compute(atLimit.Tcp(vector.SourcePort, vector.DestinationPort).Build(), config).HashValue);
        Assert.Equal(vector.HashAddressesOnly, RssHasher.Compute(overLimit.Tcp(vector.SourcePort, vector.DestinationPort).Build(), config).HashValue);
    }

    [Fact]
    public void RoutingHeaderOfAnotherTypeIsNotAHomeAddress()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv6-1");
        byte[] body = new byte[22];
        body[0] = 0; // type 0 (deprecated source route), segments left 1, one address
        body[1] = 1;
        System.Net.IPAddress.Parse("2001:db8::bbbb").GetAddressBytes().CopyTo(body, 6);
        byte[] frame = VectorFrameTests.Frame(vector).WithExtensionHeader(IpProtocol.Routing, body)
            .Tcp(vector.SourcePort, vector.DestinationPort).Build();

        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(TcpV6Ex));

        Assert.Equal(VirtioNetHashReport.TcpV6Ex, result.HashReport);
        Assert.Equal(vector.HashWithPorts, result.HashValue);
    }

    [Fact]
    public void TruncatedExtensionHeaderKeepsTheAddresses()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv6-2");
        byte[] frame = VectorFrameTests.Frame(vector).WithHomeAddress("2001:db8::aaaa").Tcp(vector.SourcePort, vector.DestinationPort).Build();
        byte[] cut = frame[..(14 + 40 + 20)]; // the 24-byte destination options header loses its last 4 bytes

        RssResult result = RssHasher.Compute(cut, VectorFrameTests.Config(All));

        Assert.Equal(VirtioNetHashReport.IPv6Ex, result.HashReport);
        Assert.Equal(vector.HashAddressesOnly, result.HashValue);
    }
}
