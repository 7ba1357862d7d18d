using MiniVmm.Rss;
using MiniVmm.Testing;

namespace MiniVmm.Fuzzing.Rss;

/// <summary>Seeds of the rss targets: every protocol the frame builder makes (VLAN, IPv4 options and fragments, IPv6 extension headers, ARP), under several configurations.</summary>
internal static class RssSeeds
{
    public static IEnumerable<byte[]> Create(int maxFrameBytes)
    {
        RssConfiguration[] configurations =
        [
            RssConfiguration.Spread(4),
            RssConfiguration.Spread(3, 8) with { HashTypes = VirtioNetHashTypes.IPv4 | VirtioNetHashTypes.TcpV6 | VirtioNetHashTypes.UdpV6Ex },
            RssConfiguration.Spread(2, 1) with { HashTypes = VirtioNetHashTypes.IPv6Ex | VirtioNetHashTypes.TcpV6Ex, Key = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd] },
        ];
        var random = new Random(13);
        for (int i = 0; i < 48; i++)
        {
            byte[] frame = RandomFrames.WellFormed(random);
            yield return RssCase.Write(configurations[i % configurations.Length], frame.AsSpan(0, Math.Min(frame.Length, maxFrameBytes)));
        }
    }
}
