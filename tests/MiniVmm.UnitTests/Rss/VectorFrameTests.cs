using MiniVmm.Rss.Packets;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.Rss;

/// <summary>The published vectors as whole frames: the classifier must pick the right fields and type.</summary>
public sealed class VectorFrameTests
{
    private static readonly ushort[] Table = [10, 11, 12, 13, 14, 15, 16, 17];

    public static TheoryData<string> Ids() => ToeplitzVectors.Ids();

    [Theory]
    [MemberData(nameof(Ids))]
    public void TcpFrameHashesAddressesAndPorts(string id)
    {
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] frame = Frame(vector).Tcp(vector.SourcePort, vector.DestinationPort).WithPayloadLength(20).WithId(1).Build();

        RssResult result = RssHasher.Compute(frame, Config(VirtioNetHashTypes.All));

        Assert.Equal(vector.HashWithPorts, result.HashValue);
        Assert.Equal(vector.IsIPv6 ? VirtioNetHashReport.TcpV6 : VirtioNetHashReport.TcpV4, result.HashReport);
        Assert.Equal(Table[vector.HashWithPorts & 7], result.Queue);
        AssertInput(frame, VirtioNetHashTypes.All, vector.InputWithPorts);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void UdpFrameHashesAddressesAndPorts(string id)
    {
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] frame = Frame(vector).Udp(vector.SourcePort, vector.DestinationPort).WithPayloadLength(3).Build();

        RssResult result = RssHasher.Compute(frame, Config(VirtioNetHashTypes.All));

        Assert.Equal(vector.HashWithPorts, result.HashValue);
        Assert.Equal(vector.IsIPv6 ? VirtioNetHashReport.UdpV6 : VirtioNetHashReport.UdpV4, result.HashReport);
        Assert.Equal(Table[vector.HashWithPorts & 7], result.Queue);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void TcpFrameWithOnlyIpTypeEnabledHashesAddressesOnly(string id)
    {
        // §5.1.6.4.3.2/3: "Else if VIRTIO_NET_HASH_TYPE_IPv4 [IPv6] is set, the hash is calculated over the
        // following fields: Source IP address, Destination IP address".
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] frame = Frame(vector).Tcp(vector.SourcePort, vector.DestinationPort).Build();
        VirtioNetHashTypes types = vector.IsIPv6 ? VirtioNetHashTypes.IPv6 : VirtioNetHashTypes.IPv4;

        RssResult result = RssHasher.Compute(frame, Config(types));

        Assert.Equal(vector.HashAddressesOnly, result.HashValue);
        Assert.Equal(vector.IsIPv6 ? VirtioNetHashReport.IPv6 : VirtioNetHashReport.IPv4, result.HashReport);
        Assert.Equal(Table[vector.HashAddressesOnly & 7], result.Queue);
        AssertInput(frame, types, vector.InputAddressesOnly);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void VlanTaggedFramesHashLikeUntaggedOnes(string id)
    {
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] single = Frame(vector).WithVlan(100).Tcp(vector.SourcePort, vector.DestinationPort).Build();
        byte[] qinq = Frame(vector).WithVlan(7, EtherType.ServiceVlan).WithVlan(100).Tcp(vector.SourcePort, vector.DestinationPort).Build();

        Assert.Equal(vector.HashWithPorts, RssHasher.Compute(single, Config(VirtioNetHashTypes.All)).HashValue);
        Assert.Equal(vector.HashWithPorts, RssHasher.Compute(qinq, Config(VirtioNetHashTypes.All)).HashValue);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void FragmentsHashAddressesOnly(string id)
    {
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] first = Frame(vector).Tcp(vector.SourcePort, vector.DestinationPort).AsFragment(0, moreFragments: true).WithPayloadLength(64).Build();
        byte[] middle = Frame(vector).Tcp(vector.SourcePort, vector.DestinationPort).AsFragment(1480, moreFragments: true).WithPayloadLength(64).Build();
        byte[] last = Frame(vector).Tcp(vector.SourcePort, vector.DestinationPort).AsFragment(2960, moreFragments: false).WithPayloadLength(64).Build();
        VirtioNetHashReport expected = vector.IsIPv6 ? VirtioNetHashReport.IPv6 : VirtioNetHashReport.IPv4;

        foreach (byte[] frame in new[] { first, middle, last })
        {
            // All hash types but the _EX ones, so that an IPv6 fragment header (an extension header) falls
            // back to the plain IPv6 type.
            RssResult result = RssHasher.Compute(frame, Config(VirtioNetHashTypes.All & ~(VirtioNetHashTypes.IPv6Ex | VirtioNetHashTypes.TcpV6Ex | VirtioNetHashTypes.UdpV6Ex)));
            Assert.Equal(vector.HashAddressesOnly, result.HashValue);
            Assert.Equal(expected, result.HashReport);
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void NotHashedFramesGoToTheUnclassifiedQueue(string id)
    {
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        byte[] frame = Frame(vector).Tcp(vector.SourcePort, vector.DestinationPort).Build();
        VirtioNetHashTypes otherFamily = vector.IsIPv6
            ? VirtioNetHashTypes.IPv4 | VirtioNetHashTypes.TcpV4 | VirtioNetHashTypes.UdpV4
            : VirtioNetHashTypes.IPv6 | VirtioNetHashTypes.TcpV6 | VirtioNetHashTypes.UdpV6 | VirtioNetHashTypes.IPv6Ex | VirtioNetHashTypes.TcpV6Ex | VirtioNetHashTypes.UdpV6Ex;

        RssResult result = RssHasher.Compute(frame, Config(otherFamily));

        Assert.Equal(new RssResult(0, VirtioNetHashReport.None, 3), result);
    }

    internal static FrameBuilder Frame(ToeplitzVector vector) => vector.IsIPv6
        ? new FrameBuilder().IPv6(vector.SourceAddress, vector.DestinationAddress)
        : new FrameBuilder().IPv4(vector.SourceAddress, vector.DestinationAddress);

    internal static RssConfiguration Config(VirtioNetHashTypes types) => new()
    {
        HashTypes = types,
        Key = ToeplitzVectors.Key,
        IndirectionTable = Table,
        UnclassifiedQueue = 3,
    };

    private static void AssertInput(byte[] frame, VirtioNetHashTypes types, byte[] expected)
    {
        Span<byte> input = stackalloc byte[RssHasher.MaxInputBytes];
        RssHasher.Classify(frame, types, input, out int length);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(input[..length]));
    }
}
