using MiniVmm.Bpf;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss;
using static MiniVmm.IntegrationTests.Bpf.SteeringCases;
using T = MiniVmm.Rss.VirtioNetHashTypes;
using R = MiniVmm.Rss.VirtioNetHashReport;


namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>
/// Hash-type selection, VLAN tags, IPv4 options and fragments, and the IPv6 _EX rules of
/// virtio 1.2 §5.1.6.4.3, each checked against a published vector value.
/// </summary>
public sealed class SteeringProgramClassificationTests(SteeringProgramFixture programs) : IClassFixture<SteeringProgramFixture>
{
    private static readonly ToeplitzVector V4 = ToeplitzVectors.Get("msft-ipv4-1");
    private static readonly ToeplitzVector V6 = ToeplitzVectors.Get("msft-ipv6-1");
    private static readonly ToeplitzVector Other6 = ToeplitzVectors.Get("msft-ipv6-2");

    private RssResult Run(T types, byte[] frame)
    {
        programs.Plain.Configure(Identity(types));
        return programs.Plain.TestRun(frame);
    }

    private static RssResult Hashed(uint hash, R report) => new(hash, report, (ushort)(hash & 127));

    private static readonly RssResult NotHashed = new(0, R.None, Unclassified);

    // §5.1.6.4.3.2: "If VIRTIO_NET_HASH_TYPE_TCPv4 is set and the packet has a TCP header ...
    // Else if VIRTIO_NET_HASH_TYPE_UDPv4 is set and the packet has a UDP header ...
    // Else if VIRTIO_NET_HASH_TYPE_IPv4 is set ... Else the device does not calculate the hash"
    [HostFact(HostNeeds.Bpf)]
    public void IPv4_hash_type_selection_follows_the_spec_order()
    {
        Assert.Equal(Hashed(V4.HashAddressesOnly, R.IPv4), Run(T.UdpV4 | T.IPv4, Tcp(V4).Build()));
        Assert.Equal(NotHashed, Run(T.TcpV4, Udp(V4).Build()));
        Assert.Equal(Hashed(V4.HashWithPorts, R.UdpV4), Run(T.TcpV4 | T.UdpV4, Udp(V4).Build()));
        Assert.Equal(Hashed(V4.HashAddressesOnly, R.IPv4), Run(T.All, Ip(V4, TestFrames.Icmp).Bytes(8, 0, 0, 0).Build()));
        Assert.Equal(NotHashed, Run(T.IPv6 | T.TcpV6 | T.UdpV6 | T.IPv6Ex, Tcp(V4).Build()));
    }

    // §5.1.6.4.3.3, IPv6 packets without extension headers.
    [HostFact(HostNeeds.Bpf)]
    public void IPv6_hash_type_selection_follows_the_spec_order()
    {
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6), Run(T.UdpV6 | T.IPv6, Tcp(V6).Build()));
        Assert.Equal(NotHashed, Run(T.TcpV6, Udp(V6).Build()));
        Assert.Equal(Hashed(V6.HashWithPorts, R.UdpV6), Run(T.TcpV6 | T.UdpV6, Udp(V6).Build()));
        Assert.Equal(NotHashed, Run(T.IPv4 | T.TcpV4 | T.UdpV4, Tcp(V6).Build()));
    }

    [HostFact(HostNeeds.Bpf)]
    public void The_ex_types_do_not_apply_to_ipv6_packets_without_extension_headers()
    {
        Assert.Equal(NotHashed, Run(T.TcpV6Ex | T.UdpV6Ex | T.IPv6Ex, Tcp(V6).Build()));
        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6), Run(T.All, Tcp(V6).Build()));
    }

    [HostFact(HostNeeds.Bpf)]
    public void Vlan_tags_802_1q_and_802_1ad_are_skipped()
    {
        var q = ((ushort)0x8100, (ushort)5);
        var ad = ((ushort)0x88A8, (ushort)7);
        Assert.Equal(Hashed(V4.HashWithPorts, R.TcpV4), Run(T.All, Tcp(V4, q).Build()));
        Assert.Equal(Hashed(V4.HashWithPorts, R.TcpV4), Run(T.All, Tcp(V4, ad, q).Build()));
        Assert.Equal(Hashed(V6.HashWithPorts, R.UdpV6), Run(T.All, Udp(V6, ad, q).Build()));
        // A third tag is beyond the two the parser skips: not IP, so unclassified.
        Assert.Equal(NotHashed, Run(T.All, Tcp(V4, ad, q, q).Build()));
    }

    [HostFact(HostNeeds.Bpf)]
    public void IPv4_options_move_the_transport_header()
    {
        var frame = TestFrames.Ethernet(0x0800).IPv4(V4.SourceAddress, V4.DestinationAddress, TestFrames.Tcp, optionWords: 10)
            .TcpHeader(V4.SourcePort, V4.DestinationPort).Build();
        Assert.Equal(Hashed(V4.HashWithPorts, R.TcpV4), Run(T.All, frame));
    }

    [HostFact(HostNeeds.Bpf)]
    public void IPv4_fragments_are_hashed_on_addresses_only()
    {
        byte[] First() => TestFrames.Ethernet(0x0800).IPv4(V4.SourceAddress, V4.DestinationAddress, TestFrames.Tcp, moreFragments: true)
            .TcpHeader(V4.SourcePort, V4.DestinationPort).Build();
        byte[] Later() => TestFrames.Ethernet(0x0800).IPv4(V4.SourceAddress, V4.DestinationAddress, TestFrames.Udp, fragmentOffset: 100)
            .UdpHeader(V4.SourcePort, V4.DestinationPort).Build();

        Assert.Equal(Hashed(V4.HashAddressesOnly, R.IPv4), Run(T.All, First()));
        Assert.Equal(Hashed(V4.HashAddressesOnly, R.IPv4), Run(T.All, Later()));
        Assert.Equal(NotHashed, Run(T.TcpV4 | T.UdpV4, First()));
    }

    [HostFact(HostNeeds.Bpf)]
    public void A_truncated_transport_header_is_no_transport_header()
    {
        byte[] full = Tcp(V4).Build();
        byte[] cut = full[..^1];   // 19 of the 20 TCP header bytes
        Assert.Equal(Hashed(V4.HashWithPorts, R.TcpV4), Run(T.All, full));
        Assert.Equal(Hashed(V4.HashAddressesOnly, R.IPv4), Run(T.All, cut));
        byte[] udpCut = Udp(V6).Build()[..^1];
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6), Run(T.All, udpCut));
    }

    // §5.1.6.4.3.4: "Home address from the home address option in the IPv6 destination options
    // header. If the extension header is not present, use the Source IPv6 address. IPv6 address
    // that is contained in the Routing-Header-Type-2 ... If the extension header is not present,
    // use the Destination IPv6 address."
    [HostFact(HostNeeds.Bpf)]
    public void Ex_types_hash_the_home_address_and_the_type_2_routing_header_address()
    {
        byte[] Frame(byte l4) => Add(TestFrames.Ethernet(0x86DD).IPv6(Other6.SourceAddress, Other6.DestinationAddress, 43)
            .RoutingType2(60, V6.DestinationAddress)
            .DestinationOptionsWithHomeAddress(l4, V6.SourceAddress), l4).Build();

        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6Ex), Run(T.All, Frame(TestFrames.Tcp)));
        Assert.Equal(Hashed(V6.HashWithPorts, R.UdpV6Ex), Run(T.All, Frame(TestFrames.Udp)));
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6Ex), Run(T.IPv6Ex | T.TcpV6 | T.IPv6, Frame(TestFrames.Tcp)));
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6Ex), Run(T.IPv6Ex, Frame(TestFrames.Icmp)));
    }

    [HostFact(HostNeeds.Bpf)]
    public void Without_ex_types_a_packet_with_extension_headers_hashes_its_own_addresses()
    {
        // "Else skip IPv6 extension headers and calculate the hash as defined for an IPv6 packet
        // without extension headers"
        var frame = TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, V6.DestinationAddress, 43)
            .RoutingType2(60, Other6.DestinationAddress)
            .DestinationOptionsWithHomeAddress(TestFrames.Tcp, Other6.SourceAddress)
            .TcpHeader(V6.SourcePort, V6.DestinationPort).Build();
        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6), Run(T.TcpV6 | T.UdpV6 | T.IPv6, frame));
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6), Run(T.UdpV6Ex | T.IPv6, frame));
    }

    [HostFact(HostNeeds.Bpf)]
    public void Either_ex_address_falls_back_to_the_header_address_when_its_header_is_absent()
    {
        var homeOnly = TestFrames.Ethernet(0x86DD).IPv6(Other6.SourceAddress, V6.DestinationAddress, 60)
            .DestinationOptionsWithHomeAddress(TestFrames.Tcp, V6.SourceAddress, pad1Count: 5)
            .TcpHeader(V6.SourcePort, V6.DestinationPort).Build();
        var routingOnly = TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, Other6.DestinationAddress, 43)
            .RoutingType2(TestFrames.Tcp, V6.DestinationAddress)
            .TcpHeader(V6.SourcePort, V6.DestinationPort).Build();
        var hopByHopOnly = TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, V6.DestinationAddress, 0)
            .HopByHop(TestFrames.Udp)
            .UdpHeader(V6.SourcePort, V6.DestinationPort).Build();

        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6Ex), Run(T.All, homeOnly));
        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6Ex), Run(T.All, routingOnly));
        Assert.Equal(Hashed(V6.HashWithPorts, R.UdpV6Ex), Run(T.All, hopByHopOnly));
    }

    [HostFact(HostNeeds.Bpf)]
    public void Routing_headers_other_than_type_2_do_not_replace_the_destination()
    {
        var frame = TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, V6.DestinationAddress, 43)
            .RoutingType2(TestFrames.Tcp, Other6.DestinationAddress, routingType: 0)
            .TcpHeader(V6.SourcePort, V6.DestinationPort).Build();
        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6Ex), Run(T.All, frame));
    }

    [HostFact(HostNeeds.Bpf)]
    public void IPv6_fragments_are_hashed_on_addresses_only_but_atomic_fragments_are_not_fragments()
    {
        byte[] Frame(ushort offset, bool more) => TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, V6.DestinationAddress, 44)
            .Fragment(TestFrames.Tcp, offset, more)
            .TcpHeader(V6.SourcePort, V6.DestinationPort).Build();

        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6Ex), Run(T.All, Frame(0, more: true)));
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6), Run(T.TcpV6 | T.IPv6, Frame(10, more: false)));
        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6Ex), Run(T.All, Frame(0, more: false)));
    }

    [HostFact(HostNeeds.Bpf)]
    public void Every_iana_extension_header_type_counts_and_esp_ends_the_walk()
    {
        // IANA "IPv6 Extension Header Types": 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254.
        foreach (byte type in new byte[] { 135, 139, 140, 253, 254 })
        {
            var frame = TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, V6.DestinationAddress, type)
                .Extension(TestFrames.Tcp, hdrExtLen: 1)
                .TcpHeader(V6.SourcePort, V6.DestinationPort).Build();
            Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6Ex), Run(T.All, frame));
        }
        var esp = TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, V6.DestinationAddress, 50)
            .Bytes(0, 0, 1, 0, 0, 0, 0, 1).TcpHeader(V6.SourcePort, V6.DestinationPort).Build();
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6Ex), Run(T.All, esp));
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6), Run(T.TcpV6 | T.IPv6, esp));
    }

    [HostFact(HostNeeds.Bpf)]
    public void An_extension_header_cut_short_by_the_frame_is_not_looked_into()
    {
        // The destination options header says 32 bytes, the frame ends inside it after the HAO.
        byte[] full = TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, V6.DestinationAddress, 60)
            .DestinationOptionsWithHomeAddress(TestFrames.Tcp, Other6.SourceAddress, pad1Count: 8).Build();
        Assert.Equal(14 + 40 + 32, full.Length);
        byte[] cut = full[..^2];
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6Ex), Run(T.All, cut));
    }

    [HostFact(HostNeeds.Bpf)]
    public void At_most_eight_extension_headers_are_walked()
    {
        byte[] Frame(int hopByHops)
        {
            var f = TestFrames.Ethernet(0x86DD).IPv6(V6.SourceAddress, V6.DestinationAddress, 0);
            for (int i = 0; i < hopByHops; i++) f.HopByHop(i == hopByHops - 1 ? TestFrames.Tcp : (byte)0);
            return f.TcpHeader(V6.SourcePort, V6.DestinationPort).Build();
        }

        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6Ex), Run(T.All, Frame(8)));
        Assert.Equal(Hashed(V6.HashAddressesOnly, R.IPv6Ex), Run(T.All, Frame(9)));
    }

    [HostFact(HostNeeds.Bpf)]
    public void At_most_sixteen_options_are_looked_at_for_the_home_address()
    {
        byte[] Frame(int pad1s) => TestFrames.Ethernet(0x86DD).IPv6(Other6.SourceAddress, V6.DestinationAddress, 60)
            .DestinationOptionsWithHomeAddress(TestFrames.Tcp, V6.SourceAddress, pad1Count: pad1s)
            .TcpHeader(V6.SourcePort, V6.DestinationPort).Build();

        Assert.Equal(Hashed(V6.HashWithPorts, R.TcpV6Ex), Run(T.All, Frame(15)));
        var beyond = Run(T.All, Frame(16));
        Assert.Equal(R.TcpV6Ex, beyond.HashReport);
        Assert.NotEqual(V6.HashWithPorts, beyond.HashValue);
    }

    [HostFact(HostNeeds.Bpf)]
    public void Non_ip_frames_go_to_the_unclassified_queue_without_a_hash()
    {
        byte[] arp = TestFrames.Ethernet(0x0806).Bytes(new byte[28]).Build();
        Assert.Equal(NotHashed, Run(T.All, arp));
        byte[] badVersion = Tcp(V4).Build();
        badVersion[14] = 0x65;
        Assert.Equal(NotHashed, Run(T.All, badVersion));
        byte[] shortIhl = Tcp(V4).Build();
        shortIhl[14] = 0x44;
        Assert.Equal(NotHashed, Run(T.All, shortIhl));
    }

    [HostFact(HostNeeds.Bpf)]
    public void An_unconfigured_program_sends_everything_to_queue_0_without_hashing()
    {
        using var fresh = RssSteeringProgram.Load(SteeringProgramFixture.PlainObject);
        Assert.Equal(new RssResult(0, R.None, 0), fresh.TestRun(Tcp(V4).Build()));
    }

    private static TestFrames Add(TestFrames f, byte l4) => l4 switch
    {
        TestFrames.Tcp => f.TcpHeader(V6.SourcePort, V6.DestinationPort),
        TestFrames.Udp => f.UdpHeader(V6.SourcePort, V6.DestinationPort),
        _ => f.Bytes(128, 0, 0, 0, 0, 0, 0, 0),
    };
}
