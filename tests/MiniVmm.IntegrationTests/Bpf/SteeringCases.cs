using MiniVmm.Rss;


namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>Configurations and frames shared by the BPF steering tests.</summary>
public static class SteeringCases
{
    public const ushort Unclassified = 3;

    /// <summary>table[i] = i over 128 entries, so the queue is hash &amp; 127 and visible in the result.</summary>
    public static RssConfiguration Identity(VirtioNetHashTypes types, ushort unclassified = Unclassified) => new()
    {
        HashTypes = types,
        Key = ToeplitzVectors.Key,
        IndirectionTable = Enumerable.Range(0, 128).Select(i => (ushort)i).ToArray(),
        UnclassifiedQueue = unclassified,
    };

    /// <summary>A table spreading over <paramref name="queues"/> queues in a scrambled order.</summary>
    public static RssConfiguration Spread(int queues, VirtioNetHashTypes types = VirtioNetHashTypes.All, int tableLength = 128) => new()
    {
        HashTypes = types,
        Key = ToeplitzVectors.Key,
        IndirectionTable = Enumerable.Range(0, tableLength).Select(i => (ushort)((i * 5 + 3) % queues)).ToArray(),
        UnclassifiedQueue = (ushort)(queues - 1),
    };

    public static bool IsV6(ToeplitzVector v) => v.Family == "ipv6";

    public static TestFrames Ip(ToeplitzVector v, byte protocol, params (ushort, ushort)[] tags) =>
        IsV6(v)
            ? TestFrames.Ethernet(0x86DD, tags).IPv6(v.SourceAddress, v.DestinationAddress, protocol)
            : TestFrames.Ethernet(0x0800, tags).IPv4(v.SourceAddress, v.DestinationAddress, protocol);

    public static TestFrames Tcp(ToeplitzVector v, params (ushort, ushort)[] tags) =>
        Ip(v, TestFrames.Tcp, tags).TcpHeader(v.SourcePort, v.DestinationPort);

    public static TestFrames Udp(ToeplitzVector v, params (ushort, ushort)[] tags) =>
        Ip(v, TestFrames.Udp, tags).UdpHeader(v.SourcePort, v.DestinationPort);
}
