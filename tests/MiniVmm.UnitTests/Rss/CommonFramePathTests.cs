using MiniVmm.Rss;
using MiniVmm.Rss.Packets;

namespace MiniVmm.UnitTests.Rss;

/// <summary>
/// RssHasher.Compute takes a one-pass path for untagged IPv4 (20-byte header, not a fragment) and
/// IPv6 (TCP/UDP right after the fixed header) with the L4 type enabled. Frames on and just off
/// that path must get what the general path gives: the type Classify picks and the Toeplitz hash of
/// the input it writes out (ToeplitzKey.Hash, checked against the published vectors elsewhere).
/// </summary>
public class CommonFramePathTests
{
    public static TheoryData<string, byte[]> Frames() => new()
    {
        { "ipv4/tcp", new FrameBuilder().IPv4("10.1.2.3", "192.168.7.9").Tcp(4321, 80).WithPayloadLength(10).Build() },
        { "ipv4/udp", new FrameBuilder().IPv4("10.1.2.3", "192.168.7.9").Udp(53, 5353).Build() },
        { "ipv6/tcp", new FrameBuilder().IPv6("2001:db8::1", "2001:db8:1::2").Tcp(4321, 443).Build() },
        { "ipv6/udp", new FrameBuilder().IPv6("2001:db8::1", "2001:db8:1::2").Udp(4321, 443).Build() },
        { "ipv4 options", new FrameBuilder().IPv4("10.1.2.3", "192.168.7.9").WithIPv4Options([1, 1, 1, 1]).Tcp(1, 2).Build() },
        { "ipv4 first fragment", new FrameBuilder().IPv4("10.1.2.3", "192.168.7.9").AsFragment(0, moreFragments: true).Tcp(1, 2).Build() },
        { "ipv4 later fragment", new FrameBuilder().IPv4("10.1.2.3", "192.168.7.9").AsFragment(64, moreFragments: false).Udp(1, 2).Build() },
        { "vlan ipv4/tcp", new FrameBuilder().WithVlan(5).IPv4("10.1.2.3", "192.168.7.9").Tcp(1, 2).Build() },
        { "ipv6 hop-by-hop", new FrameBuilder().IPv6("2001:db8::1", "2001:db8:1::2").WithHopByHopOptions().Tcp(1, 2).Build() },
        { "ipv4 icmp", new FrameBuilder().IPv4("10.1.2.3", "192.168.7.9").Protocol(1).WithPayloadLength(20).Build() },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void Every_type_set_gives_what_the_general_path_gives(string name, byte[] frame)
    {
        VirtioNetHashTypes[] typeSets =
        [
            VirtioNetHashTypes.All,
            VirtioNetHashTypes.IPv4 | VirtioNetHashTypes.IPv6, // L4 types off: the one-pass path must step aside
            VirtioNetHashTypes.TcpV4 | VirtioNetHashTypes.TcpV6,
            VirtioNetHashTypes.UdpV4 | VirtioNetHashTypes.UdpV6 | VirtioNetHashTypes.IPv4,
            VirtioNetHashTypes.None,
        ];
        foreach (VirtioNetHashTypes types in typeSets)
        {
            var config = new RssConfiguration { HashTypes = types, Key = RssConfiguration.DefaultKey.ToArray(), IndirectionTable = [0, 1, 2, 3, 4, 5, 6, 7], UnclassifiedQueue = 7 };
            Span<byte> input = stackalloc byte[RssHasher.MaxInputBytes];
            VirtioNetHashReport report = RssHasher.Classify(frame, types, input, out int length);
            uint hash = report == VirtioNetHashReport.None ? 0 : new ToeplitzKey(config.Key).Hash(input[..length]);
            RssResult r = RssHasher.Compute(frame, config);
            Assert.True(r.HashReport == report && r.HashValue == hash, $"{name}, types {types}: {r.HashReport}/0x{r.HashValue:x8}, general path {report}/0x{hash:x8}");
            Assert.Equal(report == VirtioNetHashReport.None ? 7 : config.IndirectionTable[hash & 7], r.Queue);
        }
    }

    [Fact]
    public void Truncated_transport_headers_are_not_hashed_on_their_ports()
    {
        byte[] tcp = new FrameBuilder().IPv4("10.1.2.3", "192.168.7.9").Tcp(1, 2).Build();
        var config = new RssConfiguration { HashTypes = VirtioNetHashTypes.All, Key = RssConfiguration.DefaultKey.ToArray(), IndirectionTable = [0], UnclassifiedQueue = 0 };
        // 19 of the TCP header's 20 bytes: §5.1.6.4.3.2 falls back to IPv4.
        Assert.Equal(VirtioNetHashReport.IPv4, RssHasher.Compute(tcp.AsSpan(0, 14 + 20 + 19), config).HashReport);
        Assert.Equal(VirtioNetHashReport.TcpV4, RssHasher.Compute(tcp.AsSpan(0, 14 + 20 + 20), config).HashReport);
    }
}
