using MiniVmm.HostNet.Steering;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.HostNet;

public sealed class TunVnetHashingTests
{
    [Fact]
    public void RssArgument_IsTheV12Layout_HeaderTableThenKeyPaddedTo40()
    {
        var config = new RssConfiguration
        {
            HashTypes = VirtioNetHashTypes.TcpV4 | VirtioNetHashTypes.IPv6,   // 0x0a
            Key = [0x11, 0x22, 0x33],
            IndirectionTable = [1, 0, 3, 0x0102],
            UnclassifiedQueue = 2,
        };
        byte[] expected =
        [
            0x0a, 0, 0, 0,   3, 0,   2, 0,                 // hash_types, indirection_table_mask, unclassified_queue
            1, 0,  0, 0,  3, 0,  0x02, 0x01,               // table, little-endian u16
            0x11, 0x22, 0x33, .. new byte[37],             // key, zero-padded to 40
        ];
        Assert.Equal(expected, TunVnetHashing.RssArgument(config));
    }

    [Fact]
    public void RssArgument_RefusesWhatTheKernelWouldMisread()
    {
        var notPowerOfTwo = RssConfiguration.Spread(2, tableLength: 128) with { IndirectionTable = new ushort[3] };
        Assert.Throws<ArgumentException>(() => TunVnetHashing.RssArgument(notPowerOfTwo));
        var longKey = RssConfiguration.Spread(2) with { Key = new byte[41] };
        Assert.Throws<ArgumentException>(() => TunVnetHashing.RssArgument(longKey));
    }
}
